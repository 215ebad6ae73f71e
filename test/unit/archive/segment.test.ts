import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, configure } from '@zip.js/zip.js';
import {
  centralDirectory,
  createSegment,
  encodeSegmentIndex,
  placeSegments,
  readSegmentIndex,
  type Encryption,
} from '../../../shared/archive';
import { deriveAesEntryKey } from '../../../shared/archive/crypto';
import { entryKinds, inPieces, pseudoRandomBytes, type TestEntry } from './entries';
import {
  MISSING_7Z,
  archiveAfter,
  collect,
  cut,
  HAS_7Z,
  sevenZipTest,
  stitch,
  wholeArchive,
  writeSegment,
} from './stitch';

configure({ useWebWorkers: false });

const DATE = new Date('2026-03-01T12:34:56Z');
const GiB = 2 ** 30;

/** Small entries of every kind: text and media, from buffers, strings and streams, some empty. */
const entriesArbitrary = fc
  .array(
    fc.record({
      media: fc.boolean(),
      length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
      form: fc.constantFrom('buffer', 'string', 'stream'),
      pieces: fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 4 }),
    }),
    { maxLength: 12 },
  )
  .map((specs) =>
    specs.map(({ media, length, form, pieces }, i): TestEntry => {
      const bytes = media
        ? pseudoRandomBytes(`entry ${i}`, length)
        : Buffer.from(`row ${i},label,${i * 7}\n`.repeat(length).slice(0, length));
      const name = media ? `datasets/d/${i}.jpg` : `annotations/d/${i}.txt`;
      const body =
        form === 'stream'
          ? () => inPieces(bytes, pieces)
          : form === 'string' && !media
            ? () => bytes.toString('latin1')
            : () => bytes;
      return { name, bytes, body };
    }),
  );

async function segmentsOf(groups: TestEntry[][], options = {}) {
  const segments = [];
  for (const group of groups) segments.push(await writeSegment({ date: DATE, ...options }, group));
  return segments;
}

describe('createSegment', () => {
  it('gives segments that, cut anywhere and stitched, are byte for byte the zip createArchive writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        entriesArbitrary,
        fc.array(fc.nat({ max: 12 }), { maxLength: 5 }),
        async (entries, cuts) => {
          const whole = await wholeArchive({ date: DATE }, entries);
          const segments = await segmentsOf(cut(entries, cuts));
          expect((await stitch(segments)).equals(whole)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('stitches the same bytes as the writer past 4 GiB, where records and end need ZIP64', async () => {
    await fc.assert(
      fc.asyncProperty(
        entriesArbitrary,
        fc.array(fc.nat({ max: 12 }), { maxLength: 4 }),
        fc.integer({ min: 4 * GiB - 10_000, max: 2 ** 44 }),
        async (entries, cuts, base) => {
          const reference = await archiveAfter(base, {}, entries, DATE);
          const segments = await segmentsOf(cut(entries, cuts));
          expect((await stitch(segments, base)).equals(reference)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('indexes every entry as its central record needs it, with the sha256 of its plain bytes', async () => {
    const entries = entryKinds();
    for (const encryption of [undefined, 'aes256', 'zipcrypto'] as const) {
      const password = encryption ? 'pw' : undefined;
      const { bytes, index, names } = await writeSegment(
        { date: DATE, password, encryption },
        entries,
      );
      expect(index.bytes).toBe(bytes.length);
      expect(index.entries.map((e) => e.name)).toEqual(names);
      // The archive layer's own rewrite of a name reaches the index too.
      expect(names.at(-1)).toBe('datasets/ds/back.txt');
      for (const [i, entry] of index.entries.entries()) {
        const { bytes: plain } = entries[i]!;
        expect(entry.sha256).toBe(createHash('sha256').update(plain).digest('hex'));
        expect(entry.size).toBe(plain.length);
        // Each entry starts with its local header, where the index says.
        expect(bytes.readUInt32LE(entry.offset)).toBe(0x04034b50);
        expect(bytes.readUInt16LE(entry.offset + 8)).toBe(entry.method);
      }
      const methods = index.entries.map((e) => e.method);
      if (encryption === 'aes256') {
        expect(new Set(methods)).toEqual(new Set([99]));
        expect(index.entries.every((e) => e.crc32 === 0)).toBe(true);
        // The AES field: 0x9901, AE-2, "AE", AES-256, then the real method (deflated).
        expect(Buffer.from(index.entries[0]!.extra, 'base64').toString('hex')).toBe(
          '019907000200414503' + '0800',
        );
      } else {
        expect(methods).toEqual([8, 8, 0, 0, 0, 0, 8, 8]);
        expect(index.entries.every((e) => e.extra === '')).toBe(true);
      }
    }
  });

  for (const encryption of ['aes256', 'zipcrypto'] as const) {
    it(`stitches a ${encryption} zip that zip.js and 7-Zip open with the password`, async () => {
      await openStitched(encryption);
    });
  }

  it('makes of no entries at all the empty zip createArchive writes', async () => {
    const segments = await segmentsOf([[], []]);
    expect(segments.map((s) => s.index)).toEqual([
      { bytes: 0, entries: [] },
      { bytes: 0, entries: [] },
    ]);
    expect((await stitch(segments)).equals(await wholeArchive({ date: DATE }, []))).toBe(true);
  });

  it('rejects pending appends and the finish once aborted, and destroys its stream', async () => {
    const segment = createSegment({ date: DATE });
    const stalled = segment.append('a.bin', inPieces(pseudoRandomBytes('a', 5_000_000), []));
    segment.abort(new Error('upload failed'));
    await expect(stalled).rejects.toThrow('upload failed');
    await expect(segment.finish()).rejects.toThrow('upload failed');
    await expect(segment.append('b.txt', 'b')).rejects.toThrow('upload failed');
    expect(segment.stream.destroyed).toBe(true);
  });
});

describe('the stitched zip', () => {
  it('keeps the bytes createArchive and its writer wrote before segments existed', async () => {
    const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    // Recorded from the writer as it was before segments (commit 0a0dac3), over entryKinds().
    const whole = await wholeArchive({ date: DATE }, entryKinds());
    expect([whole.length, digest(whole)]).toEqual([
      1_389_939,
      '3c75558ea20e53d44c8b21d0c3938cd99f1cfc22225981e386cd5d4627cf089d',
    ]);
    const past = await archiveAfter(5 * GiB, {}, entryKinds(), DATE);
    expect([past.length, digest(past)]).toEqual([
      1_390_239,
      '29b640f1dc7fa59f2124720a20d5d20cab1a76d619d5d35d560644cc308fef9a',
    ]);
    let salt = 0;
    const aesKeys = () =>
      deriveAesEntryKey(
        Buffer.from('pw'),
        Buffer.from(digest(Buffer.from(`salt${salt++}`)), 'hex').subarray(0, 16),
      );
    const aes = await archiveAfter(5 * GiB, { password: 'pw', aesKeys }, entryKinds(), DATE);
    expect([aes.length, digest(aes)]).toEqual([
      1_390_639,
      '25fe2764301abf6682c7ac072f0b274c0c6b25ff60d1fedd33375564d638d6ba',
    ]);
  });

  it('is written from indexes stored as JSON Lines and read back as they stream', async () => {
    const entries = entryKinds();
    const segments = await segmentsOf(cut(entries, [3, 3, 6]));
    const stored = segments.map((s) => [...encodeSegmentIndex(s.index)].join(''));
    const indexes = (async function* () {
      // As S3 hands a body over: in chunks cut anywhere, here inside multi-byte characters.
      for (const text of stored) yield readSegmentIndex(inPieces(Buffer.from(text), [7, 93, 1]));
    })();
    const offset = segments.reduce((sum, s) => sum + s.bytes.length, 0);
    const end = await collect(centralDirectory(placeSegments(indexes), { offset }));
    const whole = await wholeArchive({ date: DATE }, entries);
    expect(Buffer.concat([...segments.map((s) => s.bytes), end]).equals(whole)).toBe(true);
  });
});

/** Segments of every kind of entry, and a last one as the stitcher writes its own, opened back. */
async function openStitched(encryption: Encryption): Promise<void> {
  const password = `stitched ${encryption} 123!`;
  const entries = entryKinds();
  const own: TestEntry[] = [{ name: 'manifest.json', bytes: Buffer.from('{}'), body: () => '{}' }];
  const segments = await segmentsOf([...cut(entries, [2, 5]), own], { password, encryption });
  const zip = await stitch(segments);

  const reader = new ZipReader(new Uint8ArrayReader(zip), { password, checkCrc32: true });
  const read = await reader.getEntries();
  expect(read.map((e) => e.filename)).toEqual([
    ...entries.map((e) => e.name.replaceAll('\\', '/')),
    'manifest.json',
  ]);
  for (const [i, entry] of [...entries, ...own].entries()) {
    const file = read[i]!;
    expect(file.encrypted && file.zipCrypto === (encryption === 'zipcrypto')).toBe(true);
    const data = file.directory ? null : await file.getData(new Uint8ArrayWriter());
    expect(Buffer.from(data!).equals(entry.bytes), entry.name).toBe(true);
  }
  await reader.close();

  if (!HAS_7Z) return void console.warn(MISSING_7Z);
  const dir = await mkdtemp(join(tmpdir(), 'stitched-'));
  try {
    await writeFile(join(dir, 'stitched.zip'), zip);
    const tested = sevenZipTest(join(dir, 'stitched.zip'), password);
    expect(tested.ok, tested.output).toBe(true);
    expect(tested.output).toContain(`Files: ${entries.length + 1}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
