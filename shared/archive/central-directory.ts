/**
 * The end of a zip: one central directory record per entry, the ZIP64 end records where the zip
 * needs them, the end of central directory record. createArchive writes the records of its own
 * entries with `centralRecord`; a stitched zip gets its whole end from `centralDirectory`, streamed
 * from the segments' indexes with memory that does not grow with the number of entries.
 */

/** Everything a central directory record holds of an entry, as its local header wrote it. */
export interface ZipEntryRecord {
  /** The name the zip holds (the archive layer rewrites some, see `append`). */
  name: string;
  /** Of its local file header: within its segment, or within the zip once relocated. */
  offset: number;
  /** 0 for AES entries (AE-2 authenticates with its MAC instead). */
  crc32: number;
  /** The entry's data as written: encryption header and MAC included. */
  compressedSize: number;
  /** The plain bytes. */
  size: number;
  /** As in the headers: 0 stored, 8 deflated, 99 WinZip AES (the real one in its extra field). */
  method: number;
  /** General purpose bit flags (data descriptor, encryption, UTF-8 name). */
  flags: number;
  dosTime: number;
  /** As in the local header; the central record raises it to 45 for a ZIP64 entry. */
  versionNeeded: number;
  /** The high byte of "version made by" (3: Unix, whose mode the external attributes hold). */
  platform: number;
  externalAttributes: number;
  internalAttributes: number;
  /** The central directory's extra fields (the AES 0x9901 field), base64; '' for none. */
  extra: string;
}

/** What readers take as "this field is in the ZIP64 extra field / end record". */
export const ZIP64_MAGIC = 0xffffffff;
const ZIP64_MAGIC_SHORT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const ZIP64_EXTRA_BYTES = 28;
const VERSION_ZIP64 = 45;
const VERSION_MADE_BY = 45;
const FLAG_UTF8_NAME = 1 << 11;
const SIG_CENTRAL_FILE_HEADER = 0x02014b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_END = 0x06054b50;
const CENTRAL_HEADER_BYTES = 46;
/** The ZIP64 end record's size field counts the bytes after itself: 56 - 12. */
const ZIP64_END_BYTES = 56;
const ZIP64_LOCATOR_BYTES = 20;
const END_BYTES = 22;
/** The central directory is handed on in pieces of about this size rather than per entry. */
const CHUNK_BYTES = 64 * 1024;

/** An entry whose sizes or offset do not fit in 32 bits: its record carries a ZIP64 field. */
export function needsZip64(entry: ZipEntryRecord): boolean {
  return (
    entry.size > ZIP64_MAGIC || entry.compressedSize > ZIP64_MAGIC || entry.offset > ZIP64_MAGIC
  );
}

/** The central directory record of an entry whose `offset` is its place in the zip. */
export function centralRecord(entry: ZipEntryRecord): Buffer {
  const zip64 = needsZip64(entry);
  const name = Buffer.from(entry.name, entry.flags & FLAG_UTF8_NAME ? 'utf8' : 'latin1');
  const extra = Buffer.from(entry.extra, 'base64');
  const extraBytes = extra.length + (zip64 ? ZIP64_EXTRA_BYTES : 0);
  const record = Buffer.allocUnsafe(CENTRAL_HEADER_BYTES + name.length + extraBytes);
  record.writeUInt32LE(SIG_CENTRAL_FILE_HEADER, 0);
  record.writeUInt16LE(((entry.platform << 8) | VERSION_MADE_BY) & 0xffff, 4);
  record.writeUInt16LE(
    zip64 ? Math.max(entry.versionNeeded, VERSION_ZIP64) : entry.versionNeeded,
    6,
  );
  record.writeUInt16LE(entry.flags, 8);
  record.writeUInt16LE(entry.method, 10);
  record.writeUInt32LE(entry.dosTime >>> 0, 12);
  record.writeUInt32LE(entry.crc32 >>> 0, 16);
  record.writeUInt32LE(zip64 ? ZIP64_MAGIC : entry.compressedSize, 20);
  record.writeUInt32LE(zip64 ? ZIP64_MAGIC : entry.size, 24);
  record.writeUInt16LE(name.length, 28);
  record.writeUInt16LE(extraBytes, 30);
  record.writeUInt16LE(0, 32); // comment length: entries have none
  record.writeUInt16LE(0, 34); // disk number
  record.writeUInt16LE(entry.internalAttributes, 36);
  record.writeUInt32LE(entry.externalAttributes >>> 0, 38);
  record.writeUInt32LE(zip64 ? ZIP64_MAGIC : entry.offset, 42);
  name.copy(record, CENTRAL_HEADER_BYTES);
  const extraAt = CENTRAL_HEADER_BYTES + name.length;
  extra.copy(record, extraAt);
  if (zip64) {
    // The ZIP64 field follows the entry's own extra fields instead of replacing them: an AES
    // entry past 4 GiB keeps its 0x9901 field.
    const at = extraAt + extra.length;
    record.writeUInt16LE(ZIP64_EXTRA_ID, at);
    record.writeUInt16LE(ZIP64_EXTRA_BYTES - 4, at + 2);
    record.writeBigUInt64LE(BigInt(entry.size), at + 4);
    record.writeBigUInt64LE(BigInt(entry.compressedSize), at + 12);
    record.writeBigUInt64LE(BigInt(entry.offset), at + 20);
  }
  return record;
}

export interface EndRecordsInput {
  entries: number;
  /** Where the central directory starts, and its length. */
  offset: number;
  length: number;
  /** ZIP64 end records even where nothing needs them. */
  zip64: boolean;
}

/**
 * Whether the end needs the ZIP64 records: more entries than 16 bits count, a central directory
 * past or longer than 4 GiB, or any entry that needs ZIP64 itself.
 */
export function endNeedsZip64(end: EndRecordsInput): boolean {
  return (
    end.zip64 ||
    end.entries > ZIP64_MAGIC_SHORT ||
    end.length > ZIP64_MAGIC ||
    end.offset > ZIP64_MAGIC
  );
}

/** The ZIP64 end of central directory record and its locator, then the end of central directory. */
export function endRecords(end: EndRecordsInput): Buffer {
  const zip64 = endNeedsZip64(end);
  const bytes = Buffer.alloc((zip64 ? ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES : 0) + END_BYTES);
  let at = 0;
  if (zip64) {
    bytes.writeUInt32LE(SIG_ZIP64_END, 0);
    bytes.writeBigUInt64LE(BigInt(ZIP64_END_BYTES - 12), 4);
    bytes.writeUInt16LE(VERSION_ZIP64, 12); // made by
    bytes.writeUInt16LE(VERSION_ZIP64, 14); // needed
    // Disk numbers 0 (16, 20).
    bytes.writeBigUInt64LE(BigInt(end.entries), 24); // on this disk
    bytes.writeBigUInt64LE(BigInt(end.entries), 32); // in all
    bytes.writeBigUInt64LE(BigInt(end.length), 40);
    bytes.writeBigUInt64LE(BigInt(end.offset), 48);
    bytes.writeUInt32LE(SIG_ZIP64_LOCATOR, 56);
    // Disk of the ZIP64 end record 0 (60); it starts right after the central directory.
    bytes.writeBigUInt64LE(BigInt(end.offset + end.length), 64);
    bytes.writeUInt32LE(1, 72); // disks
    at = ZIP64_END_BYTES + ZIP64_LOCATOR_BYTES;
  }
  bytes.writeUInt32LE(SIG_END, at);
  // Disk numbers 0 (at + 4, at + 6).
  bytes.writeUInt16LE(zip64 ? ZIP64_MAGIC_SHORT : end.entries, at + 8);
  bytes.writeUInt16LE(zip64 ? ZIP64_MAGIC_SHORT : end.entries, at + 10);
  bytes.writeUInt32LE(zip64 ? ZIP64_MAGIC : end.length, at + 12);
  bytes.writeUInt32LE(zip64 ? ZIP64_MAGIC : end.offset, at + 16);
  // Comment length 0 (at + 20): archives have none.
  return bytes;
}

export interface CentralDirectoryOptions {
  /** Where the central directory starts: the bytes of every entry before it. */
  offset: number;
  /** ZIP64 end records even where nothing needs them (createArchive's `forceZip64`). */
  forceZip64?: boolean;
}

/**
 * The central directory and end records of a zip whose entries are `entries`, in the zip's
 * order, each with its local header's offset in the zip (a segment's entries relocated by the
 * segment's start: see `placeSegments`). Byte for byte what createArchive writes after the same
 * entries. Streamed: memory holds one chunk and counters, whatever the number of entries.
 */
export async function* centralDirectory(
  entries: AsyncIterable<ZipEntryRecord> | Iterable<ZipEntryRecord>,
  options: CentralDirectoryOptions,
): AsyncGenerator<Buffer> {
  let count = 0;
  let length = 0;
  let zip64 = options.forceZip64 ?? false;
  let previous: ZipEntryRecord | null = null;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const entry of entries) {
    checkPlace(entry, previous, options.offset);
    previous = entry;
    const record = centralRecord(entry);
    count++;
    length += record.length;
    if (entry.size > ZIP64_MAGIC || entry.compressedSize > ZIP64_MAGIC) zip64 = true;
    pending.push(record);
    pendingBytes += record.length;
    if (pendingBytes >= CHUNK_BYTES) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
  yield endRecords({ entries: count, offset: options.offset, length, zip64 });
}

/**
 * Entries lie in the zip in the order they are listed, before the central directory: an index
 * that was not relocated, or segments listed out of order, would give a zip whose records point
 * at the wrong bytes, so they are refused here.
 */
function checkPlace(entry: ZipEntryRecord, previous: ZipEntryRecord | null, end: number): void {
  if (previous && entry.offset <= previous.offset) {
    throw new Error(
      `zip entry ${entry.name} at offset ${entry.offset} does not follow ${previous.name} at ` +
        `${previous.offset}: relocate each segment's entries by the segment's start`,
    );
  }
  if (entry.offset + entry.compressedSize > end) {
    throw new Error(
      `zip entry ${entry.name} (${entry.compressedSize} bytes at offset ${entry.offset}) ends ` +
        `past the central directory's start ${end}`,
    );
  }
}
