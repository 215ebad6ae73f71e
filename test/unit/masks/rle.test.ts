import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillRings } from '../../../shared/masks/rasterise';
import {
  decodeRleString,
  encodeRleString,
  rleArea,
  rleBounds,
  rleFromBitmap,
  rleOutlines,
  rleSpans,
  type Rle,
} from '../../../shared/masks/rle';

/** A row-major bitmap of a 25x25 image with rows [y0, y1) and columns [x0, x1) set. */
function square(size: number, from: number, to: number): Uint8Array {
  const bitmap = new Uint8Array(size * size);
  for (let y = from; y < to; y++) for (let x = from; x < to; x++) bitmap[y * size + x] = 1;
  return bitmap;
}

function spansBitmap(rle: Rle): Uint8Array {
  const [height, width] = rle.size;
  const bitmap = new Uint8Array(width * height);
  rleSpans(rle, (row, from, to) => bitmap.fill(1, row * width + from, row * width + to));
  return bitmap;
}

function ringsBitmap(rle: Rle): Uint8Array {
  const [height, width] = rle.size;
  const bitmap = new Uint8Array(width * height);
  fillRings(rleOutlines(rle), width, height, (row, from, to) =>
    bitmap.fill(1, row * width + from, row * width + to),
  );
  return bitmap;
}

const bitmaps = fc
  .record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }) })
  .chain(({ width, height }) =>
    fc
      .uint8Array({ minLength: width * height, maxLength: width * height, max: 1 })
      .map((bitmap) => ({ width, height, bitmap })),
  );

describe('COCO RLE', () => {
  // Strings pycocotools' mask.encode gives for a 25x25 mask with a 5x5 square set at [0,5),
  // [5,10) and [20,25) of both axes (asserted against pycocotools in pytorchcocotools' tests).
  it.each([
    [0, 5, '05d00000000d?'],
    [5, 10, 'R45d00000000b;'],
    [20, 25, 'X`05d00000000'],
  ])('encodes the square [%i,%i) as pycocotools does', (from, to, expected) => {
    const rle = rleFromBitmap(square(25, from, to), 25, 25);
    expect(encodeRleString(rle.counts)).toBe(expected);
    expect(decodeRleString(expected)).toEqual(rle.counts);
    expect(rleArea(rle.counts)).toBe(25);
  });

  it('round-trips any counts through the string codec', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 28 }), { maxLength: 40 }), (counts) => {
        expect(decodeRleString(encodeRleString(counts))).toEqual(counts);
      }),
    );
  });

  it('refuses strings that are not counts', () => {
    expect(() => decodeRleString('0 5')).toThrow(RangeError);
    // A continuation bit on the last character: the count never ends.
    expect(() => decodeRleString('0P')).toThrow(/ends inside a count/);
    // 0, 0, then a delta of -1 two back gives -1.
    expect(() => decodeRleString('00O')).toThrow(/negative/);
  });

  it('gives back every pixel as row spans, and its pixel box', () => {
    fc.assert(
      fc.property(bitmaps, ({ width, height, bitmap }) => {
        const rle = rleFromBitmap(bitmap, width, height);
        expect([...spansBitmap(rle)]).toEqual([...bitmap]);
        const set = [...bitmap.keys()].filter((i) => bitmap[i] === 1);
        const bounds = rleBounds(rle);
        if (set.length === 0) expect(bounds).toBeNull();
        else
          expect(bounds).toEqual({
            left: Math.min(...set.map((i) => i % width)),
            right: Math.max(...set.map((i) => i % width)),
            top: Math.min(...set.map((i) => Math.floor(i / width))),
            bottom: Math.max(...set.map((i) => Math.floor(i / width))),
          });
      }),
    );
  });

  it('outlines a mask with polygons that fill exactly its pixels once holes are filled', () => {
    fc.assert(
      fc.property(bitmaps, ({ width, height, bitmap }) => {
        const rle = rleFromBitmap(bitmap, width, height);
        const filled = ringsBitmap(rle);
        // Every set pixel is inside an outline; a pixel inside that is not set is in a hole.
        for (let i = 0; i < bitmap.length; i++) if (bitmap[i] === 1) expect(filled[i]).toBe(1);
        const holeFree = rleFromBitmap(filled, width, height);
        expect([...ringsBitmap(holeFree)]).toEqual([...filled]);
      }),
    );
  });

  it('outlines two regions that touch at a corner as two polygons', () => {
    const bitmap = new Uint8Array([1, 0, 0, 1]);
    const outlines = rleOutlines(rleFromBitmap(bitmap, 2, 2));
    expect(outlines).toHaveLength(2);
    expect(outlines.map((ring) => ring.length)).toEqual([4, 4]);
  });
});
