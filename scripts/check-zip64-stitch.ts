/**
 * A stitched zip past 4 GiB, opened by 7-Zip and zip.js: what a unit test cannot afford to write.
 *
 * Three segments, as three shards would write them: a plain one whose first entry is 4 GiB and a
 * bit of zeros (stored, streamed from one reused buffer, so that nothing large is held in memory)
 * followed by a small entry whose local header lies past 4 GiB; an AES-256 one and a ZipCrypto
 * one, all of whose entries lie past 4 GiB. Then the central directory of all of them, whose
 * records need ZIP64 fields (the AES ones keep their 0x9901 field before it) and ZIP64 end
 * records. And a second zip of one deflated entry of 4 GiB and a bit of zeros: an entry that
 * needs ZIP64 for its size alone. The zips go to os.tmpdir() as sparse files (runs of zeros are
 * skipped, not written), are tested with `7z t` and listed and partly read with zip.js, and are
 * deleted.
 *
 *   npx tsx scripts/check-zip64-stitch.ts      (7z from Debian's p7zip-full must be on PATH)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Reader, TextWriter, ZipReader, configure, type FileEntry } from '@zip.js/zip.js';
import {
  centralDirectory,
  createSegment,
  placeSegments,
  type SegmentIndex,
  type SegmentOptions,
} from '../shared/archive';

const MiB = 2 ** 20;
const ZEROS_BYTES = 4 * 2 ** 30 + 3 * MiB + 5;
const PASSWORD = 'zip64-Stitch-check';
const DATE = new Date('2026-03-01T12:34:56Z');
const ZERO = Buffer.alloc(MiB);

interface Entry {
  name: string;
  body: () => Readable | string;
  store?: boolean;
  /** Read back with zip.js (the zeros are left to 7z). */
  text?: string;
}

/** `bytes` zeros in 1 MiB chunks, every one the same buffer. */
function zeros(bytes: number): Readable {
  return Readable.from(
    (function* () {
      for (let left = bytes; left > 0; left -= MiB)
        yield left >= MiB ? ZERO : ZERO.subarray(0, left);
    })(),
  );
}

/** Writes `chunk` at `position` unless it is all zeros, which a sparse file already reads as. */
async function writeSparse(file: FileHandle, chunk: Buffer, position: number): Promise<void> {
  for (let at = 0; at < chunk.length; at += MiB) {
    const piece = chunk.subarray(at, at + MiB);
    if (!piece.equals(ZERO.subarray(0, piece.length)))
      await file.write(piece, 0, piece.length, position + at);
  }
}

/** Writes one segment into the file from `position`; resolves with its index. */
async function writeSegment(
  file: FileHandle,
  position: number,
  options: SegmentOptions,
  entries: Entry[],
): Promise<SegmentIndex> {
  const segment = createSegment({ date: DATE, ...options });
  const written = (async () => {
    let at = position;
    for await (const chunk of segment.stream) {
      await writeSparse(file, chunk as Buffer, at);
      at += (chunk as Buffer).length;
    }
  })();
  for (const entry of entries)
    await segment.append(entry.name, entry.body(), { store: entry.store });
  const index = await segment.finish();
  await written;
  return index;
}

function texts(prefix: string, count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => {
    const text = `${prefix} ${i}\n`.repeat(50 + i);
    return { name: `${prefix}/${i}.txt`, body: () => text, text };
  });
}

/** The segments laid end to end, then the central directory of all their entries. */
async function writeStitched(path: string, segments: Array<[SegmentOptions, Entry[]]>) {
  const file = await open(path, 'w');
  try {
    const indexes: SegmentIndex[] = [];
    let offset = 0;
    for (const [options, entries] of segments) {
      const index = await writeSegment(file, offset, options, entries);
      indexes.push(index);
      offset += index.bytes;
    }
    for await (const chunk of centralDirectory(placeSegments(indexes), { offset })) {
      await file.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
    }
    await file.truncate(offset);
    return { bytes: offset, indexes };
  } finally {
    await file.close();
  }
}

function sevenZipTest(path: string, files: number): void {
  const run = spawnSync('7z', ['t', `-p${PASSWORD}`, path], { encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error?.message ?? ''}`;
  if (
    run.status !== 0 ||
    !output.includes('Everything is Ok') ||
    !output.includes(`Files: ${files}`)
  ) {
    throw new Error(`7z t rejects ${path}:\n${output}`);
  }
}

/**
 * A file read by zip.js at the offsets it asks for. Not openAsBlob: Node 20's file-backed Blob
 * reports the size modulo 4 GiB.
 */
class FileReader extends Reader<FileHandle> {
  constructor(private readonly file: FileHandle) {
    super(file);
  }

  override async init(): Promise<void> {
    this.size = (await this.file.stat()).size;
  }

  override async readUint8Array(offset: number, length: number): Promise<Uint8Array> {
    const data = new Uint8Array(length);
    const { bytesRead } = await this.file.read(data, 0, length, offset);
    return data.subarray(0, bytesRead);
  }
}

async function zipJsRead(path: string, entries: Entry[]): Promise<void> {
  const file = await open(path, 'r');
  try {
    await readWithZipJs(file, entries);
  } finally {
    await file.close();
  }
}

async function readWithZipJs(file: FileHandle, entries: Entry[]): Promise<void> {
  const reader = new ZipReader(new FileReader(file), {
    password: PASSWORD,
    checkCrc32: true,
  });
  const read = (await reader.getEntries()) as FileEntry[];
  const names = read.map((e) => e.filename).join(',');
  if (names !== entries.map((e) => e.name).join(',')) throw new Error(`zip.js lists ${names}`);
  for (const [i, entry] of entries.entries()) {
    if (entry.text === undefined) continue;
    const text = await read[i]!.getData(new TextWriter());
    if (text !== entry.text) throw new Error(`zip.js reads ${entry.name} wrong`);
  }
  const zerosEntry = read.find((e) => e.filename.startsWith('zeros'))!;
  if (zerosEntry.uncompressedSize !== ZEROS_BYTES) {
    throw new Error(`zip.js sees ${zerosEntry.uncompressedSize} bytes of zeros`);
  }
  await reader.close();
}

async function check(
  path: string,
  segments: Array<[SegmentOptions, Entry[]]>,
  entriesPast4GiB: number,
): Promise<string> {
  const start = performance.now();
  const { bytes, indexes } = await writeStitched(path, segments);
  const written = performance.now();
  const entries = segments.flatMap(([, list]) => list);
  sevenZipTest(path, entries.length);
  const tested = performance.now();
  await zipJsRead(path, entries);
  let past = 0;
  for await (const entry of placeSegments(indexes)) if (entry.offset > 0xffffffff) past++;
  if (past !== entriesPast4GiB)
    throw new Error(`${past} entries past 4 GiB, not ${entriesPast4GiB}`);
  return (
    `${(bytes / 2 ** 30).toFixed(2)} GiB, ${entries.length} entries (${past} past 4 GiB): ` +
    `written in ${((written - start) / 1000).toFixed(1)} s, 7z t ${((tested - written) / 1000).toFixed(1)} s, ` +
    `zip.js ${((performance.now() - tested) / 1000).toFixed(1)} s`
  );
}

async function main(): Promise<void> {
  configure({ useWebWorkers: false });
  const dir = await mkdtemp(join(tmpdir(), 'zip64-stitch-'));
  try {
    const stitched = await check(
      join(dir, 'stitched.zip'),
      [
        [
          {},
          [
            { name: 'zeros.bin', body: () => zeros(ZEROS_BYTES), store: true },
            ...texts('plain', 2),
          ],
        ],
        [{ password: PASSWORD, encryption: 'aes256' }, texts('aes', 3)],
        [{ password: PASSWORD, encryption: 'zipcrypto' }, texts('zipcrypto', 3)],
      ],
      8,
    );
    console.log(`zip64 stitch: stored zeros, AES-256 and ZipCrypto past 4 GiB: ${stitched}`);
    // Deflated: the entry needs ZIP64 for its size, though every offset fits in 32 bits.
    const deflated = await check(
      join(dir, 'deflated.zip'),
      [
        [{ level: 1 }, [{ name: 'zeros.txt', body: () => zeros(ZEROS_BYTES) }]],
        [{ password: PASSWORD }, texts('after', 1)],
      ],
      0,
    );
    console.log(`zip64 stitch: one deflated entry over 4 GiB: ${deflated}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
