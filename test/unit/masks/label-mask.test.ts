import { describe, expect, it } from 'vitest';
import { LabelMask } from '../../../shared/masks/label-mask';
import { constants as zlib } from 'node:zlib';
import { encodeGreyPng, type PngOptions } from '../../../shared/masks/png';
import { aRectangle as rect } from '../../helpers/builders';
import { decodeMask, seeded } from './reference';

/** The mask as rows, so that expectations read as pictures. */
function rows(values: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += width) out.push(Array.from(values).slice(i, i + width));
  return out;
}

describe('LabelMask', () => {
  it('lets a later annotation cover an earlier one', () => {
    const mask = new LabelMask(6, 4);
    expect(mask.paint([rect(0, 0, 4, 4)], 1)).toBe(16);
    expect(mask.paint([rect(2, 1, 6, 3)], 2)).toBe(8);
    expect(rows(mask.pixels, 6)).toEqual([
      [1, 1, 1, 1, 0, 0],
      [1, 1, 2, 2, 2, 2],
      [1, 1, 2, 2, 2, 2],
      [1, 1, 1, 1, 0, 0],
    ]);
    expect(mask.pixels).toBeInstanceOf(Uint8Array);
  });

  it('lists the values left after painting, not the ones covered', () => {
    const mask = new LabelMask(10, 10);
    mask.paint([rect(2, 2, 4, 4)], 3);
    mask.paint([rect(0, 0, 10, 10)], 1);
    mask.paint([rect(5, 5, 7, 7)], 2);
    expect(mask.present()).toEqual([1, 2]);
    expect(new LabelMask(3, 3).present()).toEqual([]);
  });

  it('switches to 16-bit values when a value exceeds 255, keeping what was painted', () => {
    const mask = new LabelMask(4, 1);
    mask.paint([rect(0, 0, 2, 1)], 200);
    mask.paint([rect(2, 0, 4, 1)], 40000);
    expect(mask.pixels).toBeInstanceOf(Uint16Array);
    expect(Array.from(mask.pixels)).toEqual([200, 200, 40000, 40000]);
    expect(mask.present()).toEqual([200, 40000]);
    expect(() => mask.paint([rect(0, 0, 1, 1)], 65536)).toThrow(RangeError);
    expect(() => mask.paint([rect(0, 0, 1, 1)], 0)).toThrow(RangeError);
  });

  it('extracts a binary 0/255 mask of one value', () => {
    const mask = new LabelMask(5, 3);
    mask.paint([rect(0, 0, 3, 3)], 1);
    mask.paint([rect(1, 1, 5, 2)], 2);
    expect(rows(mask.binary(1), 5)).toEqual([
      [255, 255, 255, 0, 0],
      [255, 0, 0, 0, 0],
      [255, 255, 255, 0, 0],
    ]);
    expect(rows(mask.binary(2), 5)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 255, 255, 255, 255],
      [0, 0, 0, 0, 0],
    ]);
    expect(Array.from(mask.binary(7))).toEqual(new Array(15).fill(0));
  });
});

/** Every setting the benchmark weighs must give the same pixels back. */
const OPTIONS: PngOptions[] = [0, 2].flatMap((filterType) =>
  [zlib.Z_RLE, zlib.Z_DEFAULT_STRATEGY].map((deflateStrategy) => ({
    filterType: filterType as 0 | 2,
    deflateLevel: 4,
    deflateStrategy,
  })),
);

describe('LabelMask reuse', () => {
  it('clears back to an empty 8-bit mask, also after a 16-bit image', () => {
    const mask = new LabelMask(4, 3);
    mask.paint([rect(0, 0, 2, 2)], 7);
    mask.paint([rect(1, 1, 4, 3)], 1000);
    expect(mask.pixels).toBeInstanceOf(Uint16Array);
    mask.clear();
    expect(mask.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(mask.pixels)).toEqual(new Array(12).fill(0));
    expect(mask.present()).toEqual([]);
    mask.paint([rect(3, 0, 4, 1)], 2);
    expect(rows(mask.pixels, 4)).toEqual([
      [0, 0, 0, 2],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    // The 16-bit buffer is cleared too when it is needed again.
    mask.paint([rect(0, 2, 1, 3)], 300);
    expect(rows(mask.pixels, 4)).toEqual([
      [0, 0, 0, 2],
      [0, 0, 0, 0],
      [300, 0, 0, 0],
    ]);
  });

  it('reuses the binary buffer without leaving the previous value in it', () => {
    const mask = new LabelMask(3, 3);
    mask.paint([rect(0, 0, 3, 1)], 1);
    mask.paint([rect(0, 2, 3, 3)], 2);
    expect(rows(mask.binary(1), 3)).toEqual([
      [255, 255, 255],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(rows(mask.binary(2), 3)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [255, 255, 255],
    ]);
    expect(Array.from(mask.binary(9))).toEqual(new Array(9).fill(0));
  });
});

describe('encodeGreyPng', () => {
  it.each(OPTIONS)('round-trips 8-bit and 16-bit masks with %o', (options) => {
    const random = seeded(11);
    const width = 13;
    const height = 9;
    const small = Uint8Array.from({ length: width * height }, () => Math.floor(random() * 256));
    const large = Uint16Array.from({ length: width * height }, () => Math.floor(random() * 65536));
    expect(decodeMask(encodeGreyPng(small, width, height, options)).values).toEqual(
      Array.from(small),
    );
    expect(decodeMask(encodeGreyPng(large, width, height, options)).values).toEqual(
      Array.from(large),
    );
  });

  it('writes an 8-bit greyscale PNG that decodes to the same values', () => {
    const random = seeded(3);
    const width = 37;
    const height = 23;
    const pixels = Uint8Array.from({ length: width * height }, () => Math.floor(random() * 256));
    const decoded = decodeMask(encodeGreyPng(pixels, width, height));
    expect(decoded).toEqual({ width, height, depth: 8, values: Array.from(pixels) });
  });

  it('writes a 16-bit greyscale PNG that decodes to the same values', () => {
    const random = seeded(4);
    const width = 41;
    const height = 19;
    const pixels = Uint16Array.from({ length: width * height }, () => Math.floor(random() * 65536));
    // Runs of equal rows and the extremes exercise the Up filter's byte-wise wrap-around.
    pixels.fill(65535, 0, width);
    pixels.fill(0, width, 3 * width);
    pixels.fill(256, 3 * width, 4 * width);
    pixels.fill(255, 4 * width, 5 * width);
    const decoded = decodeMask(encodeGreyPng(pixels, width, height));
    expect(decoded).toEqual({ width, height, depth: 16, values: Array.from(pixels) });
  });

  it('encodes a subarray view from its own offset', () => {
    const backing = new Uint16Array(10).fill(9);
    const view = backing.subarray(4, 8);
    view.set([1, 300, 2, 65000]);
    expect(decodeMask(encodeGreyPng(view, 2, 2)).values).toEqual([1, 300, 2, 65000]);
    const bytes = new Uint8Array([5, 5, 5, 1, 2, 3, 4]).subarray(3);
    expect(decodeMask(encodeGreyPng(bytes, 2, 2)).values).toEqual([1, 2, 3, 4]);
  });

  it('refuses a buffer that does not match the size', () => {
    expect(() => encodeGreyPng(new Uint8Array(5), 2, 2)).toThrow(RangeError);
  });
});
