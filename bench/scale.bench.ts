/**
 * How the export scales with the project, this tree against the one before the stitched archive
 * (DESIGN §10, §17): "new", where each shard writes its own zip segment and package stitches the
 * archive from them with UploadPartCopy, and "old" (commit 0a0dac3), where package streams every
 * byte of the archive itself. Both run the same projects of N images (16 KiB of incompressible
 * bytes each, four boxes each), exported as COCO of type both with and without AES-256, through
 * the whole state machine on the local stack, with 20 ms added to every S3 request the handlers
 * make. Reported per run: seconds and items/s, and per stage its seconds, the bytes that crossed
 * to and from S3 and the peak RSS of the process (the S3 server, the runner and the handlers);
 * then package seconds new/old, package bytes per item large/small (flat in new) and each
 * stage's peak RSS large/small. The JSON lines go to .bench/scale-results.jsonl as well.
 *
 *   npm run bench scale                  sizes 10000 and 100000
 *   npm run bench scale -- 1000 2000
 *   SCALE_BENCH_IMAGE_KIB=160 npm run bench scale   images of 160 KiB instead of 16
 *   SCALE_BENCH_KEEP_DATA=1 npm run bench scale     keep the seeded projects for the next run
 *   SCALE_BENCH_AES=on npm run bench scale          only the AES-256 archives (or `off`)
 *
 * The old tree is checked out at .bench/baseline (a detached worktree) with this tree's
 * node_modules, and the measuring scripts are copied into it, so one run compares the code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LOCAL_BUCKETS } from '../local/endpoints';
import { startLocalStack } from '../local/stack';
import { PACKAGE_MALLOC_ENVIRONMENT, PACKAGE_NODE_FLAGS } from '../shared/pipeline/package-runtime';
import { RESULT_PREFIX, type StageResult } from './scale-measure';
import { SYNTHETIC_PROJECT, SYNTHETIC_TASK, seedSyntheticProject } from './synthetic-project';

const BASELINE_COMMIT = '0a0dac3';
const IMAGE_KIB = Number(process.env.SCALE_BENCH_IMAGE_KIB ?? '16');
const KEEP_DATA = process.env.SCALE_BENCH_KEEP_DATA === '1';
/** `on` or `off` runs only the archives with or without AES-256. */
const AES_RUNS = { on: [true], off: [false] }[process.env.SCALE_BENCH_AES ?? ''] ?? [true, false];
const MEASURE_FILES = ['scale-measure.ts', 'latency-proxy.ts'];
const PACKAGE_STAGE = 'Package';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const benchDir = join(root, '.bench');
const baselineDir = join(benchDir, 'baseline');
// The environment before seeding, which points this process at a stack that stops again; the
// SDK's notice about Node versions would otherwise come once per run between the results.
const childEnv = {
  ...process.env,
  ...PACKAGE_MALLOC_ENVIRONMENT,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // The old tree loads the X-Ray SDK even where nothing is traced, and its async hook on every
  // promise cost a seventh of the CPU; in manual mode the SDK installs no hook, as this tree
  // does not load it at all, so that the runs compare the pipelines.
  AWS_XRAY_MANUAL_MODE: '1',
};

interface RunResult {
  tree: string;
  commit: string;
  size: number;
  aes: boolean;
  seconds: number;
  itemsPerSecond: number;
  stages: StageResult[];
  archive: { key: string; bytes: number };
}

/** The sizes on the command line, smallest first, or 10,000 and 100,000. */
function sizes(): number[] {
  const given = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  return (given.length > 0 ? given : [10_000, 100_000]).sort((a, b) => a - b);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/**
 * The old tree at .bench/baseline: a detached worktree of BASELINE_COMMIT made once, with this
 * tree's node_modules (its package.json only lacks one devDependency) and this tree's measuring
 * scripts copied in, which is what lets one run compare them.
 */
function prepareBaseline(): string {
  const commit = git(root, 'rev-parse', `${BASELINE_COMMIT}^{commit}`);
  if (!existsSync(baselineDir)) {
    mkdirSync(benchDir, { recursive: true });
    git(root, 'worktree', 'add', '--detach', baselineDir, commit);
  }
  const head = git(baselineDir, 'rev-parse', 'HEAD');
  if (head !== commit)
    throw new Error(`${baselineDir} is at ${head}, not ${commit}: remove it to check it out again`);
  const modules = join(baselineDir, 'node_modules');
  if (!existsSync(modules)) symlinkSync(realpathSync(join(root, 'node_modules')), modules);
  for (const file of MEASURE_FILES)
    copyFileSync(join(root, 'bench', file), join(baselineDir, 'bench', file));
  return commit;
}

/**
 * Image `index`'s bytes: AES-128-CTR's keystream under a fixed key, the index as counter block,
 * so both trees' exports read the same incompressible bytes on every run.
 */
const imageKey = createHash('sha256').update('scale bench images').digest().subarray(0, 16);
const zeros = Buffer.alloc(IMAGE_KIB * 1024);
function image(index: number): Uint8Array {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index, 0);
  return createCipheriv('aes-128-ctr', imageKey, iv).update(zeros);
}

/** A data directory holding the project of `size` images, seeded once, straight to S3. */
async function seed(size: number): Promise<string> {
  const directory = join(benchDir, 'scale-data', `${size}x${IMAGE_KIB}KiB`);
  // Beside the directory: whatever is inside it is a bucket to the S3 server.
  const marker = `${directory}.seeded`;
  if (existsSync(marker)) return directory;
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const started = performance.now();
  const stack = await startLocalStack({ directory });
  try {
    await seedSyntheticProject(stack.s3, stack.config.dataBucket, {
      size,
      width: 640,
      height: 480,
      ext: 'jpg',
      image,
    });
  } finally {
    await stack.stop();
  }
  writeFileSync(marker, new Date().toISOString());
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.error(`seeded ${size} images of ${IMAGE_KIB} KiB in ${seconds} s`);
  return directory;
}

/** The data bucket's files: old and new must read the same store, which no run may change. */
function storeFingerprint(directory: string): string {
  const files = readdirSync(join(directory, LOCAL_BUCKETS.data), { recursive: true }) as string[];
  return createHash('sha256').update(files.sort().join('\n')).digest('hex');
}

/** What a run leaves behind (the export bucket: records, passwords, work/, archives; events). */
function clearExports(directory: string): void {
  const bucket = join(directory, LOCAL_BUCKETS.exports);
  if (existsSync(bucket))
    for (const entry of readdirSync(bucket))
      rmSync(join(bucket, entry), { recursive: true, force: true });
  rmSync(`${directory}-events.jsonl`, { force: true });
}

/**
 * One export in its own process, so that the peak RSS is its own. The current tree's package
 * settings (malloc environment, V8 flags) apply to both trees' processes, so that the flags are
 * the same and only the code differs; the local stack runs every function in this one process.
 */
async function run(tree: string, commit: string, size: number, aes: boolean, directory: string) {
  const cwd = tree === 'old' ? baselineDir : root;
  const script = join(cwd, 'bench', 'scale-measure.ts');
  const args = [tree, commit, directory, String(size), aes ? 'on' : 'off'];
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '--expose-gc',
      ...PACKAGE_NODE_FLAGS,
      '--import',
      'tsx',
      script,
      ...args,
      SYNTHETIC_PROJECT,
      SYNTHETIC_TASK,
    ],
    // cwd at the tree's root: tsx reads that tree's tsconfig.
    { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  // The functions log to stdout too; only the result line is kept.
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith(RESULT_PREFIX)) lines.push(line);
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (status !== 0 || lines.length !== 1)
    throw new Error(`${tree} ${size} AES ${aes ? 'on' : 'off'} failed (status ${status})`);
  return { line: lines[0]!, result: JSON.parse(lines[0]!) as RunResult };
}

const MB = 1e6;
const stageNames = (results: RunResult[]) => [
  ...new Set(results.flatMap((r) => r.stages.map((s) => s.name)).filter((n) => n !== 'Start')),
];
const stageOf = (r: RunResult, name: string) => r.stages.find((s) => s.name === name);
const throughBytes = (s: StageResult | undefined) =>
  s ? s.toServerBytes + s.toClientBytes : Number.NaN;
const label = (r: RunResult) =>
  `${r.tree.padEnd(4)}${String(r.size).padStart(7)}  AES ${r.aes ? 'on ' : 'off'}`;

function printRuns(results: RunResult[]): void {
  const names = stageNames(results);
  const cell = (text: string, width = 17) => text.padStart(width);
  console.log(
    `\n${'tree   size  AES    '}${cell('seconds', 8)}${cell('items/s', 8)}` +
      names.map((n) => cell(`${n} s`)).join('') +
      `${cell('pkg MB', 9)}${cell('B/item', 8)}` +
      names.map((n) => cell(`${n} MB`)).join('') +
      cell('archive MiB'),
  );
  for (const r of results) {
    const pkg = throughBytes(stageOf(r, PACKAGE_STAGE));
    console.log(
      label(r) +
        cell(r.seconds.toFixed(1), 8) +
        cell(r.itemsPerSecond.toFixed(0), 8) +
        names.map((n) => cell(stageOf(r, n)?.seconds.toFixed(2) ?? '-')).join('') +
        cell((pkg / MB).toFixed(1), 9) +
        cell((pkg / r.size).toFixed(0), 8) +
        names.map((n) => cell(stageOf(r, n)?.peakRssMB.toFixed(0) ?? '-')).join('') +
        cell((r.archive.bytes / 2 ** 20).toFixed(1)),
    );
  }
  console.log('(stage MB columns: peak RSS while the stage ran; pkg MB: bytes through package)');
}

function printRatios(results: RunResult[]): void {
  const find = (tree: string, size: number, aes: boolean) =>
    results.find((r) => r.tree === tree && r.size === size && r.aes === aes);
  const all = [...new Set(results.map((r) => r.size))];
  const [small, large] = [Math.min(...all), Math.max(...all)];
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`;
  const pkgSeconds = (r: RunResult | undefined) => r && stageOf(r, PACKAGE_STAGE)?.seconds;
  const perItem = (r: RunResult | undefined) =>
    r && throughBytes(stageOf(r, PACKAGE_STAGE)) / r.size;
  console.log('');
  for (const aes of [true, false]) {
    const onOff = `AES ${aes ? 'on ' : 'off'}`;
    for (const size of all)
      console.log(
        `${onOff} ${size}: package seconds new/old ${ratio(pkgSeconds(find('new', size, aes)), pkgSeconds(find('old', size, aes)))}`,
      );
    if (large === small) continue;
    for (const tree of ['old', 'new']) {
      const [a, b] = [find(tree, large, aes), find(tree, small, aes)];
      const rss = stageNames(results).map(
        (n) => `${n} ${ratio(a && stageOf(a, n)?.peakRssMB, b && stageOf(b, n)?.peakRssMB)}`,
      );
      console.log(
        `${onOff} ${tree} ${large}/${small}: package bytes per item ${ratio(perItem(a), perItem(b))}; peak RSS ${rss.join(', ')}`,
      );
    }
  }
}

async function main(): Promise<number> {
  const commits = { old: prepareBaseline(), new: git(root, 'rev-parse', 'HEAD') };
  const results: RunResult[] = [];
  const lines: string[] = [];
  const resultsFile = join(benchDir, 'scale-results.jsonl');
  // Written as each run ends, so that a long run stopped half-way keeps what it measured.
  writeFileSync(resultsFile, '');
  let failed = 0;
  for (const size of sizes()) {
    const directory = await seed(size);
    const store = storeFingerprint(directory);
    for (const aes of AES_RUNS)
      for (const tree of ['old', 'new'] as const) {
        try {
          const { line, result } = await run(tree, commits[tree], size, aes, directory);
          lines.push(line);
          appendFileSync(resultsFile, line + '\n');
          results.push(result);
          console.error(`${label(result)}  ${result.seconds.toFixed(1)} s`);
        } catch (error) {
          failed++;
          console.error((error as Error).message);
        } finally {
          clearExports(directory);
        }
        if (storeFingerprint(directory) !== store)
          throw new Error(`the ${tree} run of ${size} changed the store in ${directory}`);
      }
    if (!KEEP_DATA) {
      rmSync(directory, { recursive: true, force: true });
      rmSync(`${directory}.seeded`, { force: true });
    }
  }
  printRuns(results);
  printRatios(results);
  console.log(`\n${join('.bench', 'scale-results.jsonl')}: ${lines.length} runs, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exit(await main());
