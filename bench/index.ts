/**
 * `npm run bench [name...]`: runs every benchmark in bench/ (files named `*.bench.ts`), or the
 * named ones, one after another so that they do not compete for the machine's cores.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
// Arguments that name a benchmark select it; the others go to the selected benchmarks
// (`npm run bench export -- 2000 20000`).
const names = process.argv.slice(2).filter((a) => all.some((f) => f.startsWith(a)));
const passed = process.argv.slice(2).filter((a) => !names.includes(a));
const benches = all.filter((f) => names.length === 0 || names.some((w) => f.startsWith(w)));

if (benches.length === 0) {
  console.error(`no benchmark matches; benchmarks: ${all.join(', ')}`);
  process.exit(1);
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench} ==`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench), ...passed], {
    stdio: 'inherit',
  });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
