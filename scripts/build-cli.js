/**
 * Builds the CLI (cli/main.ts) into dist/cli/ as JavaScript, which bin/annotation-export.js runs:
 * `npm ci` and `npm install` run it (the `prepare` script), so the installed command starts without
 * compiling TypeScript. Packages stay external (node_modules has them), and each one the CLI
 * imports must be a production dependency: with `npm ci --omit=dev` nothing else is installed.
 *
 *   node scripts/build-cli.js [outdir]
 */
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'dist', 'cli');
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Chunk names carry a hash: the last build's would stay behind.
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  outdir,
  bundle: true,
  // import-coco (and the AWS SDK it loads) is a chunk of its own, loaded only by that command.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

/** `@aws-sdk/client-s3/x` → `@aws-sdk/client-s3`. */
const packageOf = (path) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');
const builtin = (path) => path.startsWith('node:') || builtinModules.includes(path);
const imported = new Set(
  Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external && !builtin(i.path)).map((i) => packageOf(i.path)),
  ),
);
const missing = [...imported].filter((name) => !(name in dependencies));
if (missing.length > 0) {
  console.error(
    `the CLI imports ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not among package.json's dependencies`,
  );
  process.exit(1);
}
