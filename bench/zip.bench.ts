/**
 * AES-256 zip throughput of the export archive against 7-Zip (`7z a -tzip -mem=AES256 -mx0`) on
 * the same files in one run: 50 files of 10 MiB, and 20,000 files of 20 KiB (where the per-entry
 * key derivation dominates). Both store the (random, incompressible) bytes. Targets: at least 1/2
 * of 7z's throughput on the large files and 1/3 on the small ones.
 *
 * Ours runs in a process of its own, started as the package function is (bench/package-runtime.ts),
 * which never forks: a fork marks all of a process's memory copy-on-write, and the writes of the
 * next seconds fault it back page by page, a cost that package in Lambda never pays. This process
 * starts 7z and `sync` and tells the other one when to run.
 *
 *   npm run bench zip        (ZIP_BENCH_SCALE=0.1 for a tenth of the files, ZIP_BENCH_SETS=large
 *                             or small for one set)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { bufferSmall, createArchive, fetchAhead } from '../shared/archive';
import { SMALL_SOURCE_BYTES } from '../shared/pipeline/segment-writer';
import { packageProcess } from './package-runtime';

const PASSWORD = 'bench-Password-123';
const MiB = 1024 * 1024;
const scale = Number(process.env.ZIP_BENCH_SCALE ?? '1');
const ALL_SETS = [
  { name: 'large', files: Math.max(1, Math.round(50 * scale)), bytes: 10 * MiB, target: 1 / 2 },
  {
    name: 'small',
    files: Math.max(1, Math.round(20_000 * scale)),
    bytes: 20 * 1024,
    target: 1 / 3,
  },
];
const SETS = ALL_SETS.filter((set) =>
  (process.env.ZIP_BENCH_SETS ?? 'large,small').split(',').includes(set.name),
);
const self = fileURLToPath(import.meta.url);
const SHARED_MEMORY = '/dev/shm';
/** Timed runs of each side, after one warm-up; the best counts. */
const ROUNDS = 3;
/** Files read ahead of the zip writer, as package fetches source objects ahead. */
const READ_AHEAD = 8;

/**
 * Where the files and the zips go: memory (tmpfs) where the machine has it, so that both sides
 * measure reading, enciphering and writing rather than the disk's writeback, which neither
 * package (it uploads to S3) nor a fair comparison should include.
 */
function scratchDir(): string {
  return existsSync(SHARED_MEMORY) ? SHARED_MEMORY : tmpdir();
}

/**
 * Writes dirty pages out, so that neither side pays for the other's (or the set-up's) writes
 * being flushed to disk while it runs.
 */
function flush(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

function sevenZip(): string | null {
  for (const command of ['7z', '7zz']) {
    if (spawnSync(command, ['i'], { stdio: 'ignore' }).status === 0) return command;
  }
  return null;
}

async function writeFiles(dir: string, files: number, bytes: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < files; i++) {
    const name = `file_${String(i).padStart(5, '0')}.bin`;
    await writeFile(join(dir, name), randomBytes(bytes));
    names.push(name);
  }
  return names;
}

async function ours(dir: string, names: string[], bytes: number, out: string): Promise<number> {
  const start = performance.now();
  const archive = createArchive({ password: PASSWORD, encryption: 'aes256' });
  const written = pipeline(archive.stream, createWriteStream(out));
  // As package reads sources: each fetched ahead, its first SMALL_SOURCE_BYTES read at once, a
  // larger one then streamed (1 MiB reads, as 7-Zip reads in large blocks too). Small files are
  // read synchronously: from memory a read is a copy, while an asynchronous one takes four trips
  // through the thread pool (open, stat, read, close) that package, which reads sockets, never
  // makes.
  const sources = fetchAhead(
    names,
    async (name) => ({
      name,
      body:
        bytes > SMALL_SOURCE_BYTES
          ? await bufferSmall(
              createReadStream(join(dir, name), { highWaterMark: MiB }),
              SMALL_SOURCE_BYTES,
            )
          : readFileSync(join(dir, name)),
    }),
    { concurrency: READ_AHEAD, discard: ({ body }) => Buffer.isBuffer(body) || body.destroy() },
  );
  for await (const { name, body } of sources) await archive.append(name, body, { store: true });
  await archive.finalize();
  await written;
  return (performance.now() - start) / 1000;
}

function theirs(command: string, dir: string, out: string): number {
  const start = performance.now();
  const run = spawnSync(command, ['a', '-tzip', '-mem=AES256', '-mx0', `-p${PASSWORD}`, out, '.'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`${command} failed with status ${run.status}`);
  return (performance.now() - start) / 1000;
}

function check(command: string, zip: string): void {
  const run = spawnSync(command, ['t', `-p${PASSWORD}`, zip], { encoding: 'utf8' });
  if (run.status !== 0 || !run.stdout.includes('Everything is Ok')) {
    throw new Error(`${command} t rejects our archive ${zip}:\n${run.stdout}${run.stderr}`);
  }
}

async function main(): Promise<void> {
  const command = sevenZip();
  if (!command) {
    console.log('7z is not installed; install it with: apt-get install -y p7zip-full');
    console.log('(the benchmark compares against `7z a -tzip -mem=AES256 -mx0`)');
    return;
  }
  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${availableParallelism()}, ${command}`,
  );
  const root = await mkdtemp(join(scratchDir(), 'zip-bench-'));
  const { args, env } = packageProcess(self, ['--ours']);
  const ourProcess = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    for (const set of SETS) {
      const dir = join(root, set.name);
      const names = await writeFiles(dir, set.files, set.bytes);
      const mib = (set.files * set.bytes) / MiB;
      const ourZip = join(root, `${set.name}-ours.zip`);
      const theirZip = join(root, `${set.name}-7z.zip`);
      // Alternate, best of three each, so that a neighbour's load hits both alike. Round 0 is a
      // warm-up that does not count (page cache, JIT, heap sizes): a large export runs for
      // minutes, and its speed is the speed after the first seconds.
      let ourSeconds = Infinity;
      let theirSeconds = Infinity;
      for (let round = 0; round <= ROUNDS; round++) {
        await rm(theirZip, { force: true });
        flush();
        const their = theirs(command, dir, theirZip);
        await rm(ourZip, { force: true });
        flush();
        const our = await runOurs(ourProcess, { dir, names, bytes: set.bytes, out: ourZip });
        if (round === 0) continue;
        theirSeconds = Math.min(theirSeconds, their);
        ourSeconds = Math.min(ourSeconds, our);
      }
      check(command, ourZip);
      const ourRate = mib / ourSeconds;
      const theirRate = mib / theirSeconds;
      const ratio = ourRate / theirRate;
      console.log(
        `${set.name}: ${set.files} files x ${set.bytes / 1024} KiB (${mib.toFixed(0)} MiB, ` +
          `${(await stat(ourZip)).size} bytes zipped)\n` +
          `  ours ${ourRate.toFixed(1)} MiB/s (${ourSeconds.toFixed(2)} s, ` +
          `${(set.files / ourSeconds).toFixed(0)} files/s)\n` +
          `  7z   ${theirRate.toFixed(1)} MiB/s (${theirSeconds.toFixed(2)} s, ` +
          `${(set.files / theirSeconds).toFixed(0)} files/s)\n` +
          `  ratio to 7z ${ratio.toFixed(2)} (target >= ${set.target.toFixed(2)}: ` +
          `${ratio >= set.target ? 'met' : 'MISSED'})`,
      );
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    ourProcess.kill();
    await rm(root, { recursive: true, force: true });
  }
}

interface OurRun {
  dir: string;
  names: string[];
  bytes: number;
  out: string;
}

/** Asks the package process to zip the files once; resolves with its seconds. */
function runOurs(child: ChildProcess, run: OurRun): Promise<number> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`our zip process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (seconds) => {
      child.off('exit', onExit);
      resolve(seconds as number);
    });
    child.send(run);
  });
}

/** The package process: zips on request until it is killed. */
function serveOurs(): void {
  process.on('message', (run: OurRun) => {
    ours(run.dir, run.names, run.bytes, run.out).then(
      (seconds) => process.send!(seconds),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

if (process.argv.includes('--ours')) serveOurs();
else await main();
