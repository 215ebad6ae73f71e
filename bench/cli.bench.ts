/**
 * Start-up of the installed command: `node bin/annotation-export.js --help` and `--version` as a
 * user's shell runs them, built first as `npm ci` builds it (scripts/build-cli.js), against the
 * same CLI run from its TypeScript source through tsx (as the command ran before it was built).
 * Target: a median under 0.5 s.
 *
 *   npm run bench cli
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 20;
const TARGET_MS = 500;

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.js')], {
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(1);

const BUILT = [join(root, 'bin', 'annotation-export.js')];
const FROM_SOURCE = ['--import', 'tsx', join(root, 'cli', 'main.ts')];

let missed = false;
for (const [how, command, args] of [
  ['built', BUILT, ['--help']],
  ['built', BUILT, ['--version']],
  ['built', BUILT, ['create', '--help']],
  ['from source (tsx)', FROM_SOURCE, ['--help']],
] as const) {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    const ran = spawnSync(process.execPath, [...command, ...args], { stdio: 'ignore', cwd: root });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (ran.status !== 0)
      throw new Error(`annotation-export ${args.join(' ')} exited ${ran.status}`);
  }
  times.sort((a, b) => a - b);
  const median = times[RUNS >> 1]!;
  const worst = times[RUNS - 1]!;
  const met = median < TARGET_MS;
  if (command === BUILT) missed ||= !met;
  const verdict = command === BUILT ? ` (target < ${TARGET_MS} ms: ${met ? 'met' : 'MISSED'})` : '';
  console.log(
    `${how.padEnd(17)} ${args.join(' ').padEnd(13)} median ${median.toFixed(0)} ms, slowest ${worst.toFixed(0)} ms of ${RUNS}${verdict}`,
  );
}
process.exit(missed ? 1 : 0);
