/**
 * A segment's index: what the central directory needs of each of its entries, and the sha256 of
 * each entry's plain bytes for checksums.sha256. Plain JSON data; stored as JSON Lines (a header
 * line, then one short array per entry) so that the indexes of a million entries are read as
 * they stream, a line at a time.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ZipEntryRecord } from './central-directory';

export interface SegmentEntry extends ZipEntryRecord {
  /** Hex sha256 of the entry's plain bytes. */
  sha256: string;
}

export interface SegmentIndex {
  /** The segment's length: where the next segment starts. */
  bytes: number;
  /** In the order they lie in the segment. */
  entries: SegmentEntry[];
}

/** A stored index being read: its header at once, its entries as they stream (once). */
export interface SegmentIndexReader {
  bytes: number;
  count: number;
  entries: AsyncIterable<SegmentEntry>;
}

type AnyIterable<T> = AsyncIterable<T> | Iterable<T>;

const FORMAT = 'zip-segment-index';
const VERSION = 1;

/** The fields of an entry line, in order. */
const FIELDS = [
  'name',
  'offset',
  'crc32',
  'compressedSize',
  'size',
  'method',
  'flags',
  'dosTime',
  'versionNeeded',
  'platform',
  'externalAttributes',
  'internalAttributes',
  'extra',
  'sha256',
] as const satisfies ReadonlyArray<keyof SegmentEntry>;
const TEXT_FIELDS: ReadonlySet<string> = new Set(['name', 'extra', 'sha256']);
// Every field of an entry is in a line: the compiler says so when one is added.
type Unlisted = Exclude<keyof SegmentEntry, (typeof FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : never = true;
void everyFieldListed;

/** The index as JSON Lines, one string per line (newline included): an upload body as it is. */
export function* encodeSegmentIndex(index: SegmentIndex): Generator<string> {
  yield `${JSON.stringify({ format: FORMAT, version: VERSION, bytes: index.bytes, entries: index.entries.length })}\n`;
  for (const entry of index.entries) yield `${JSON.stringify(FIELDS.map((f) => entry[f]))}\n`;
}

/**
 * Reads an index written by encodeSegmentIndex from its bytes in chunks cut anywhere (an S3
 * body). The header is read at once; the entries as they are iterated. A truncated or otherwise
 * damaged index fails where the damage is found, never yields a wrong entry.
 */
export async function readSegmentIndex(
  chunks: AnyIterable<string | Uint8Array>,
): Promise<SegmentIndexReader> {
  const lines = splitLines(chunks)[Symbol.asyncIterator]();
  const first = await lines.next();
  const header = first.done ? null : (parseJson(first.value, 1) as Record<string, unknown> | null);
  if (
    header?.format !== FORMAT ||
    header.version !== VERSION ||
    !isCount(header.bytes) ||
    !isCount(header.entries)
  ) {
    throw new Error(`not a ${FORMAT} version ${VERSION}: its first line is ${describe(first)}`);
  }
  const bytes = header.bytes;
  const count = header.entries;
  async function* entries(): AsyncGenerator<SegmentEntry> {
    let read = 0;
    for (let line = await lines.next(); !line.done; line = await lines.next()) {
      if (read === count) throw new Error(`segment index has more than its ${count} entries`);
      const entry = parseEntry(line.value, read + 2);
      if (entry.offset + entry.compressedSize > bytes) {
        throw new Error(`segment index line ${read + 2}: ${entry.name} ends past the segment`);
      }
      read++;
      yield entry;
    }
    if (read !== count) throw new Error(`segment index ends after ${read} of ${count} entries`);
  }
  return { bytes, count, entries: entries() };
}

/** The entries of a segment that starts `base` bytes into the zip, with their offsets in the zip. */
export async function* relocateEntries(
  entries: AnyIterable<SegmentEntry>,
  base: number,
): AsyncGenerator<SegmentEntry> {
  for await (const entry of entries) yield { ...entry, offset: entry.offset + base };
}

/**
 * The entries of consecutive segments, with their offsets in the zip made of the segments laid
 * end to end from `start` (0 unless bytes of the zip come before the first segment): what
 * `centralDirectory` takes, whose own offset is then `start` plus every segment's `bytes`.
 * Segments are taken one at a time, so their stored indexes can be opened as they are reached.
 */
export async function* placeSegments(
  segments: AnyIterable<{ bytes: number; entries: AnyIterable<SegmentEntry> }>,
  start = 0,
): AsyncGenerator<SegmentEntry> {
  let base = start;
  for await (const segment of segments) {
    yield* relocateEntries(segment.entries, base);
    base += segment.bytes;
  }
}

async function* splitLines(chunks: AnyIterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk)));
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line !== '') yield line;
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}

function parseEntry(line: string, number: number): SegmentEntry {
  const values = parseJson(line, number);
  if (!Array.isArray(values) || values.length !== FIELDS.length) {
    throw new Error(`segment index line ${number} is not an entry of ${FIELDS.length} fields`);
  }
  const entry: Record<string, string | number> = {};
  FIELDS.forEach((field, i) => {
    const value: unknown = values[i];
    const valid = TEXT_FIELDS.has(field) ? typeof value === 'string' : isCount(value);
    if (!valid) throw new Error(`segment index line ${number}: ${field} is ${String(value)}`);
    entry[field] = value as string | number;
  });
  return entry as unknown as SegmentEntry;
}

function parseJson(line: string, number: number): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new Error(`segment index line ${number} is not JSON`, { cause: error });
  }
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function describe(line: IteratorResult<string>): string {
  return line.done ? 'missing' : JSON.stringify(line.value.slice(0, 80));
}
