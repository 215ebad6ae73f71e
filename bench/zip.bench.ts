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
 * And the stitcher's end of a zip of a million entries (set `stitch`): 1,000 stored segment
 * indexes of 1,000 AES entries each, read line by line, relocated, and the central directory and
 * end records written from them (ZIP64: the entries lie past 4 GiB), in a process of its own
 * started as package is: entries/s and the process's peak RSS, which must not grow with the count.
 *
 *   npm run bench zip        (ZIP_BENCH_SCALE=0.1 for a tenth of the files, ZIP_BENCH_SETS=large,
 *                             small or stitch for one set)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import {
  bufferSmall,
  centralDirectory,
  createArchive,
  encodeSegmentIndex,
  fetchAhead,
  placeSegments,
  readSegmentIndex,
  type SegmentEntry,
} from '../shared/archive';
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
const SET_NAMES = (process.env.ZIP_BENCH_SETS ?? 'large,small,stitch').split(',');
const SETS = ALL_SETS.filter((set) => SET_NAMES.includes(set.name));
/** The stitched zip's entries: segments of entries, as shards write them. */
const STITCH = {
  segments: Math.max(1, Math.round(1000 * scale)),
  entries: 1000,
  entryBytes: 200 * 1024,
};
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

/** An AES image entry of 200 KiB, as a shard's index holds it. */
function imageEntry(n: number, offset: number): SegmentEntry {
  const name = `datasets/dataset-${n % 7}/images/${String(n).padStart(7, '0')}.jpg`;
  return {
    name,
    offset,
    crc32: 0,
    compressedSize: STITCH.entryBytes + 28,
    size: STITCH.entryBytes,
    method: 99,
    flags: 0x0809,
    dosTime: 0x5c61645c,
    versionNeeded: 51,
    platform: 3,
    externalAttributes: 0x81a40000,
    internalAttributes: 0,
    extra: 'AZkHAAIAQUUDAAA=',
    sha256: createHash('sha256').update(name).digest('hex'),
  };
}

/** Writes the segments' indexes as package finds them stored; resolves with each segment's size. */
async function writeIndexes(dir: string): Promise<number[]> {
  const sizes: number[] = [];
  for (let segment = 0; segment < STITCH.segments; segment++) {
    const entries: SegmentEntry[] = [];
    let offset = 0;
    for (let i = 0; i < STITCH.entries; i++) {
      const entry = imageEntry(segment * STITCH.entries + i, offset);
      entries.push(entry);
      // Local header (30 bytes, the name, the AES field), data, data descriptor (16 bytes).
      offset += 30 + entry.name.length + 11 + entry.compressedSize + 16;
    }
    sizes.push(offset);
    await writeFile(join(dir, `${segment}.jsonl`), encodeSegmentIndex({ bytes: offset, entries }));
  }
  return sizes;
}

/** The stitcher's part, in the package process: indexes in, central directory out (counted). */
async function stitchEnd(dir: string, segments: number, offset: number): Promise<void> {
  const start = performance.now();
  const indexes = (async function* () {
    for (let segment = 0; segment < segments; segment++) {
      yield readSegmentIndex(createReadStream(join(dir, `${segment}.jsonl`)));
    }
  })();
  let bytes = 0;
  for await (const chunk of centralDirectory(placeSegments(indexes), { offset })) {
    bytes += chunk.length;
  }
  const seconds = (performance.now() - start) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ seconds, bytes, peakRss }));
}

async function benchStitch(): Promise<void> {
  const dir = await mkdtemp(join(scratchDir(), 'zip-bench-stitch-'));
  try {
    const sizes = await writeIndexes(dir);
    const offset = sizes.reduce((a, b) => a + b, 0);
    const { args, env } = packageProcess(self, [
      '--stitch',
      dir,
      String(sizes.length),
      String(offset),
    ]);
    const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`the stitch process failed:\n${run.stderr}`);
    const { seconds, bytes, peakRss } = JSON.parse(run.stdout) as Record<string, number>;
    const entries = STITCH.segments * STITCH.entries;
    console.log(
      `stitch: central directory of ${entries} entries from ${STITCH.segments} stored indexes ` +
        `(${(offset / 2 ** 30).toFixed(0)} GiB of segments)\n` +
        `  ${(entries / seconds!).toFixed(0)} entries/s (${seconds!.toFixed(2)} s), ` +
        `${(bytes! / MiB).toFixed(1)} MiB written, peak RSS ${(peakRss! / MiB).toFixed(0)} MiB`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const stitchAt = process.argv.indexOf('--stitch');
if (process.argv.includes('--ours')) serveOurs();
else if (stitchAt >= 0) {
  const [dir, segments, offset] = process.argv.slice(stitchAt + 1);
  await stitchEnd(dir!, Number(segments), Number(offset));
} else {
  await main();
  if (SET_NAMES.includes('stitch')) await benchStitch();
}
