import { spawnSync } from 'node:child_process';
import {
  centralDirectory,
  createArchive,
  createSegment,
  isCompressedMedia,
  placeSegments,
  type ArchiveOptions,
  type SegmentIndex,
  type SegmentOptions,
} from '../../../shared/archive';
import { EncryptingZipStream, type ZipWriterOptions } from '../../../shared/archive/zip-writer';
import type { TestEntry } from './entries';

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The zip createArchive writes for the entries, in order. */
export async function wholeArchive(options: ArchiveOptions, entries: TestEntry[]): Promise<Buffer> {
  const archive = createArchive(options);
  const bytes = collect(archive.stream);
  for (const entry of entries) await archive.append(entry.name, entry.body(), entry);
  await archive.finalize();
  return bytes;
}

export interface WrittenSegment {
  bytes: Buffer;
  index: SegmentIndex;
  /** What each append resolved with. */
  names: string[];
}

export async function writeSegment(
  options: SegmentOptions,
  entries: TestEntry[],
): Promise<WrittenSegment> {
  const segment = createSegment(options);
  const bytes = collect(segment.stream);
  const names: string[] = [];
  for (const entry of entries) names.push(await segment.append(entry.name, entry.body(), entry));
  const index = await segment.finish();
  return { bytes: await bytes, index, names };
}

/** The segments laid end to end from `start`, then the central directory of all their entries. */
export async function stitch(segments: WrittenSegment[], start = 0): Promise<Buffer> {
  const offset = start + segments.reduce((sum, s) => sum + s.bytes.length, 0);
  const end = await collect(
    centralDirectory(
      placeSegments(
        segments.map((s) => s.index),
        start,
      ),
      { offset },
    ),
  );
  return Buffer.concat([...segments.map((s) => s.bytes), end]);
}

/** The entries cut before each of the given positions (sorted, repeats give empty segments). */
export function cut<T>(items: T[], at: number[]): T[][] {
  const points = [...at].sort((a, b) => a - b);
  const groups: T[][] = [];
  let from = 0;
  for (const point of points) {
    groups.push(items.slice(from, point));
    from = Math.max(from, point);
  }
  groups.push(items.slice(from));
  return groups;
}

/** Whether 7-Zip is on PATH as Debian's p7zip-full installs it (CI's .ci/run does). */
export const HAS_7Z = spawnSync('7z', ['i'], { stdio: 'ignore' }).status === 0;

/** `7z t` of the zip at `path`: its output, and whether every entry tested OK. */
export function sevenZipTest(path: string, password?: string) {
  const run = spawnSync('7z', ['t', `-p${password ?? ''}`, path], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${run.stdout}${run.stderr}`;
  return { ok: run.status === 0 && output.includes('Everything is Ok'), output };
}

export const MISSING_7Z =
  '7z is not on PATH: the 7-Zip check of this test did not run (apt-get install -y p7zip-full)';

/**
 * The zip the writer gives for the entries when `base` bytes of other entries came before them:
 * its last bytes, from the first entry's local header on (the writer only counts what it wrote).
 */
export async function archiveAfter(
  base: number,
  options: ZipWriterOptions,
  entries: TestEntry[],
  date: Date,
): Promise<Buffer> {
  const engine = new EncryptingZipStream(options);
  engine.offset = base;
  const bytes = collect(engine);
  for (const entry of entries) {
    await new Promise((resolve, reject) =>
      engine.entry(
        entry.body() as Buffer,
        // The mode archiver gives every file (0644), as createArchive's entries get it.
        {
          name: entry.name,
          date,
          mode: 0o644,
          store: entry.store ?? isCompressedMedia(entry.name),
        },
        (error) => (error ? reject(error) : resolve(null)),
      ),
    );
  }
  engine.finalize();
  return bytes;
}
