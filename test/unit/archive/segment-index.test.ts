import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encodeSegmentIndex,
  placeSegments,
  readSegmentIndex,
  relocateEntries,
  type SegmentEntry,
  type SegmentIndex,
} from '../../../shared/archive';
import { inPieces } from './entries';

const u32 = fc.nat({ max: 0xffffffff });
const entryArbitrary: fc.Arbitrary<SegmentEntry> = fc.record({
  name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  offset: fc.nat({ max: 2 ** 40 }),
  crc32: u32,
  compressedSize: fc.nat({ max: 2 ** 36 }),
  size: fc.nat({ max: 2 ** 36 }),
  method: fc.constantFrom(0, 8, 99),
  flags: fc.nat({ max: 0xffff }),
  dosTime: u32,
  versionNeeded: fc.constantFrom(20, 45, 51),
  platform: fc.constantFrom(0, 3),
  externalAttributes: u32,
  internalAttributes: fc.nat({ max: 0xffff }),
  extra: fc.constantFrom('', 'AZkHAAIAQUUDCAA='),
  sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
});
/** An index whose entries all lie within it. */
const indexArbitrary = fc.array(entryArbitrary, { maxLength: 20 }).map((entries): SegmentIndex => ({
  bytes: Math.max(0, ...entries.map((e) => e.offset + e.compressedSize)),
  entries,
}));

async function read(text: string, cuts: number[] = []): Promise<SegmentIndex> {
  const reader = await readSegmentIndex(inPieces(Buffer.from(text), cuts));
  const entries: SegmentEntry[] = [];
  for await (const entry of reader.entries) entries.push(entry);
  expect(reader.count).toBe(entries.length);
  return { bytes: reader.bytes, entries };
}

const encoded = (index: SegmentIndex) => [...encodeSegmentIndex(index)].join('');

describe('segment index', () => {
  it('reads back, from chunks cut anywhere, exactly the index it was written from', async () => {
    await fc.assert(
      fc.asyncProperty(
        indexArbitrary,
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 30 }),
        async (index, cuts) => {
          expect(await read(encoded(index), cuts)).toEqual(index);
          // Its JSON form is plain data too.
          expect(JSON.parse(JSON.stringify(index))).toEqual(index);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('stores one line per entry, a short one', () => {
    const index: SegmentIndex = {
      bytes: 100,
      entries: [
        {
          name: 'images/a.jpg',
          offset: 0,
          crc32: 305419896,
          compressedSize: 30,
          size: 30,
          method: 0,
          flags: 2056,
          dosTime: 1549890652,
          versionNeeded: 20,
          platform: 3,
          externalAttributes: 2175008768,
          internalAttributes: 0,
          extra: '',
          sha256: 'ab'.repeat(32),
        },
      ],
    };
    expect([...encodeSegmentIndex(index)]).toEqual([
      '{"format":"zip-segment-index","version":1,"bytes":100,"entries":1}\n',
      `["images/a.jpg",0,305419896,30,30,0,2056,1549890652,20,3,2175008768,0,"","${'ab'.repeat(32)}"]\n`,
    ]);
  });

  it('fails on a damaged index instead of yielding a wrong entry', async () => {
    const entry = fc.sample(entryArbitrary, { numRuns: 1, seed: 7 })[0]!;
    const index = {
      bytes: entry.offset + entry.compressedSize,
      entries: [entry, { ...entry, offset: 0 }],
    };
    const [header, first, second] = [...encodeSegmentIndex(index)];
    await expect(read(header! + first!)).rejects.toThrow('segment index ends after 1 of 2 entries');
    await expect(read(header! + first! + second! + second!)).rejects.toThrow(
      'more than its 2 entries',
    );
    await expect(read(first!)).rejects.toThrow('not a zip-segment-index version 1');
    await expect(read('')).rejects.toThrow('its first line is missing');
    await expect(read(header! + first! + first!.slice(0, 20))).rejects.toThrow(
      'line 3 is not JSON',
    );
    await expect(read(header! + first! + second!.replace(/,0,/, ',-1,'))).rejects.toThrow(
      'segment index line 3: offset is -1',
    );
    const small = { bytes: index.bytes - 1, entries: index.entries };
    await expect(read(encoded(small))).rejects.toThrow('ends past the segment');
  });

  it('relocates entries by the start of their segment in the zip', async () => {
    const one = { bytes: 1000, entries: [entryAt(0), entryAt(400)] };
    const two = { bytes: 50, entries: [entryAt(0)] };
    const offsets = async (entries: AsyncIterable<SegmentEntry>) => {
      const found: number[] = [];
      for await (const entry of entries) found.push(entry.offset);
      return found;
    };
    expect(await offsets(relocateEntries(one.entries, 7))).toEqual([7, 407]);
    expect(await offsets(placeSegments([one, two, one]))).toEqual([0, 400, 1000, 1050, 1450]);
    expect(await offsets(placeSegments([two, one], 10))).toEqual([10, 60, 460]);
    // The index itself is left as it was.
    expect(one.entries.map((e) => e.offset)).toEqual([0, 400]);
  });
});

function entryAt(offset: number): SegmentEntry {
  return {
    name: `at-${offset}.txt`,
    offset,
    crc32: 0,
    compressedSize: 10,
    size: 10,
    method: 0,
    flags: 8,
    dosTime: 0,
    versionNeeded: 20,
    platform: 3,
    externalAttributes: 0,
    internalAttributes: 0,
    extra: '',
    sha256: '0'.repeat(64),
  };
}
