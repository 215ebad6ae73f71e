import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import type ZipStream from 'zip-stream';
import { centralDirectory, type ZipEntryRecord } from '../../../shared/archive';
import { centralRecord, endRecords } from '../../../shared/archive/central-directory';
import { describeEntry } from '../../../shared/archive/zip-writer';
import { pseudoRandomBytes } from './entries';
import { collect, wholeArchive, writeSegment, stitch } from './stitch';

// compress-commons, zip-stream's own writer: the reference for the records it writes.
const require = createRequire(import.meta.url);
const { ZipArchiveEntry, ZipArchiveOutputStream } = require('compress-commons') as {
  ZipArchiveEntry: new (name: string) => ZipStream.ZipArchiveEntry & {
    setTime(date: Date): void;
    setUnixMode(mode: number): void;
    getGeneralPurposeBit(): { useDataDescriptor(b: boolean): void };
  };
  ZipArchiveOutputStream: new () => Transform & {
    _entries: unknown[];
    _archive: { centralOffset: number; centralLength: number; forceZip64: boolean };
    isZip64(): boolean;
    _writeCentralFileHeader(entry: ZipStream.ZipArchiveEntry): void;
    _writeCentralDirectoryZip64(): void;
    _writeCentralDirectoryEnd(): void;
  };
};

const DATE = new Date('2026-03-01T12:34:56Z');
const GiB = 2 ** 30;

/** What compress-commons writes when `write` is run on a fresh stream of its own. */
async function referenceBytes(
  write: (stream: InstanceType<typeof ZipArchiveOutputStream>) => void,
): Promise<Buffer> {
  const stream = new ZipArchiveOutputStream();
  const bytes = collect(stream);
  write(stream);
  stream.end();
  return bytes;
}

function record(name: string, offset: number, overrides: Partial<ZipEntryRecord> = {}) {
  return {
    name,
    offset,
    crc32: 0x1234abcd,
    compressedSize: 10,
    size: 20,
    method: 8,
    flags: 8,
    dosTime: 0x5c61645c,
    versionNeeded: 20,
    platform: 3,
    externalAttributes: 0x81a40000,
    internalAttributes: 0,
    extra: '',
    ...overrides,
  };
}

describe('centralDirectory', () => {
  it("writes compress-commons' record for entries without extra fields, past 4 GiB and larger too", async () => {
    const large = fc.oneof(
      fc.nat({ max: 2 ** 32 - 1 }),
      fc.integer({ min: 2 ** 32, max: 2 ** 45 }),
    );
    await fc.assert(
      fc.asyncProperty(large, large, large, fc.boolean(), async (offset, size, packed, utf8) => {
        const entry = new ZipArchiveEntry(utf8 ? 'dir/ünïcode.txt' : 'dir/plain.txt');
        entry.setTime(DATE);
        entry.setUnixMode(0o644);
        entry.setMethod(8);
        entry.getGeneralPurposeBit().useDataDescriptor(true);
        entry.setVersionNeededToExtract(20);
        entry.setSize(size);
        entry.setCompressedSize(packed);
        entry.setCrc(0xdeadbeef);
        entry._offsets = { file: offset, data: 0, contents: 0 };
        const ours = centralRecord(describeEntry(entry));
        const reference = await referenceBytes((stream) => stream._writeCentralFileHeader(entry));
        expect(ours.toString('hex')).toBe(reference.toString('hex'));
      }),
      { numRuns: 60 },
    );
  });

  it("writes compress-commons' end records for any count, offset and length", async () => {
    const count = fc.oneof(fc.nat({ max: 70_000 }), fc.constantFrom(65_535, 65_536));
    const size = fc.oneof(
      fc.nat({ max: 2 ** 32 - 1 }),
      fc.integer({ min: 2 ** 32 - 2, max: 2 ** 45 }),
    );
    await fc.assert(
      fc.asyncProperty(count, size, size, fc.boolean(), async (entries, offset, length, force) => {
        const ours = endRecords({ entries, offset, length, zip64: force });
        const reference = await referenceBytes((stream) => {
          stream._entries = new Array(entries);
          stream._archive.centralOffset = offset;
          stream._archive.centralLength = length;
          stream._archive.forceZip64 = force;
          if (stream.isZip64()) stream._writeCentralDirectoryZip64();
          stream._writeCentralDirectoryEnd();
        });
        expect(ours.toString('hex')).toBe(reference.toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an AES entry’s 0x9901 field before the ZIP64 field it gets past 4 GiB', () => {
    const aes = Buffer.from('0199070002004145030800', 'hex');
    const bytes = centralRecord(
      record('a.json', 5 * GiB, { method: 99, versionNeeded: 51, extra: aes.toString('base64') }),
    );
    const nameEnd = 46 + 'a.json'.length;
    expect(bytes.readUInt16LE(6)).toBe(51); // AES needs more than ZIP64 does
    expect(bytes.readUInt16LE(30)).toBe(11 + 28);
    expect(bytes.subarray(nameEnd, nameEnd + 11).equals(aes)).toBe(true);
    expect(bytes.readUInt16LE(nameEnd + 11)).toBe(0x0001);
    expect(bytes.readBigUInt64LE(nameEnd + 11 + 20)).toBe(BigInt(5 * GiB));
    expect(bytes.readUInt32LE(42)).toBe(0xffffffff);
  });

  it('ends with the ZIP64 records when an entry needs ZIP64, though the offsets fit in 32 bits', async () => {
    // 5 GiB of text deflated into 10 MiB: the entry needs ZIP64, the central directory does not.
    const entries = [record('huge.json', 0, { size: 5 * GiB, compressedSize: 10 * 2 ** 20 })];
    const end = await collect(centralDirectory(entries, { offset: 11 * 2 ** 20 }));
    const records = end.subarray(end.length - 22 - 76);
    expect(records.readUInt32LE(0)).toBe(0x06064b50);
    expect(records.readUInt32LE(56)).toBe(0x07064b50);
    expect(records.readUInt32LE(76)).toBe(0x06054b50);
  });

  it('ends a zip as createArchive does with forceZip64', async () => {
    const entries = [
      { name: 'a.txt', bytes: Buffer.from('a'), body: () => 'a' },
      {
        name: 'b.jpg',
        bytes: pseudoRandomBytes('b', 999),
        body: () => pseudoRandomBytes('b', 999),
      },
    ];
    const segment = await writeSegment({ date: DATE }, entries);
    const forced = await wholeArchive({ date: DATE, forceZip64: true }, entries);
    const offset = segment.bytes.length;
    const end = await collect(
      centralDirectory(segment.index.entries, { offset, forceZip64: true }),
    );
    expect(Buffer.concat([segment.bytes, end]).equals(forced)).toBe(true);
    expect((await stitch([segment])).equals(forced)).toBe(false);
  });

  it('refuses entries that were not relocated or that end past its start', async () => {
    const unplaced = [record('a.txt', 0), record('b.txt', 100), record('c.txt', 0)];
    await expect(collect(centralDirectory(unplaced, { offset: 1000 }))).rejects.toThrow(
      "zip entry c.txt at offset 0 does not follow b.txt at 100: relocate each segment's entries",
    );
    await expect(
      collect(centralDirectory([record('a.txt', 995)], { offset: 1000 })),
    ).rejects.toThrow('ends past the central directory');
  });

  it('streams: hands on the first records before it has read every entry', async () => {
    let pulled = 0;
    const total = 100_000;
    const entries = (function* () {
      for (pulled = 0; pulled < total; pulled++) yield record(`items/${pulled}.txt`, pulled * 100);
    })();
    const chunks = centralDirectory(entries, { offset: total * 100 });
    const first = await chunks.next();
    expect(first.done).toBe(false);
    expect(pulled).toBeLessThan(total / 10);
    let bytes = first.value!.length;
    let largest = bytes;
    for await (const chunk of chunks) {
      bytes += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    expect(largest).toBeLessThan(70 * 1024);
    // 46 bytes and the name a record, then ZIP64 end records (more than 65,535 entries) and the end record.
    const recordBytes = 46 + 'items/'.length + '.txt'.length;
    const names = Array.from({ length: total }, (_, i) => String(i).length).reduce((a, b) => a + b);
    expect(bytes).toBe(total * recordBytes + names + 56 + 20 + 22);
  });
});
