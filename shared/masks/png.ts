import { crc32, deflateSync, constants as zlib } from 'node:zlib';
import { PNG } from 'pngjs';

/** How a mask is filtered and deflated: one PNG filter type for every row, zlib's level and strategy. */
export interface PngOptions {
  /** 0 (None) or 2 (Up). */
  filterType: 0 | 2;
  deflateLevel: number;
  deflateStrategy: number;
}

/**
 * Encoder settings, chosen by measurement (`npm run bench masks`, BENCHMARKS.md). Label masks are
 * long runs of one value, so the Up filter turns every row that repeats the one above into zeros.
 * 8-bit: run-length deflate then compresses as well as the default strategy in a fraction of its
 * time. 16-bit: a run is a two-byte pattern that run-length deflate cannot match, so the default
 * strategy is worth its time.
 */
export const PNG_OPTIONS_8: PngOptions = {
  filterType: 2,
  deflateLevel: 6,
  deflateStrategy: zlib.Z_RLE,
};
export const PNG_OPTIONS_16: PngOptions = {
  filterType: 2,
  deflateLevel: 6,
  deflateStrategy: zlib.Z_DEFAULT_STRATEGY,
};

const GREYSCALE = 0;

/**
 * A greyscale PNG of a label mask: 8-bit for a Uint8Array, 16-bit for a Uint16Array (one value per
 * pixel, row by row).
 */
export function encodeGreyPng(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  options?: PngOptions,
): Buffer {
  if (pixels.length !== width * height) {
    throw new RangeError(`a ${width}x${height} mask needs ${width * height} values`);
  }
  return pixels instanceof Uint16Array
    ? encodeGrey16(pixels, width, height, options ?? PNG_OPTIONS_16)
    : encodeGrey8(pixels, width, height, options ?? PNG_OPTIONS_8);
}

function encodeGrey8(
  pixels: Uint8Array,
  width: number,
  height: number,
  options: PngOptions,
): Buffer {
  return PNG.sync.write(
    {
      width,
      height,
      data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    } as PNG,
    {
      colorType: GREYSCALE,
      inputColorType: GREYSCALE,
      inputHasAlpha: false,
      bitDepth: 8,
      filterType: options.filterType,
      deflateLevel: options.deflateLevel,
      deflateStrategy: options.deflateStrategy,
    },
  );
}

/**
 * pngjs converts 16-bit input pixel by pixel on little-endian machines (about 100 ms for a
 * 1920x1080 mask), so 16-bit masks are written here directly: the same chunks pngjs writes
 * (IHDR, one IDAT, IEND) with big-endian samples.
 */
function encodeGrey16(
  pixels: Uint16Array,
  width: number,
  height: number,
  options: PngOptions,
): Buffer {
  const stride = 1 + width * 2;
  const raw = Buffer.allocUnsafe(stride * height);
  let out = 0;
  for (let row = 0; row < height; row++) {
    const at = row * width;
    if (row === 0 || options.filterType === 0) {
      raw[out++] = 0;
      for (let col = 0; col < width; col++) {
        const value = pixels[at + col]!;
        raw[out++] = value >>> 8;
        raw[out++] = value & 0xff;
      }
      continue;
    }
    raw[out++] = 2;
    const above = at - width;
    for (let col = 0; col < width; col++) {
      const value = pixels[at + col]!;
      const up = pixels[above + col]!;
      raw[out++] = ((value >>> 8) - (up >>> 8)) & 0xff;
      raw[out++] = ((value & 0xff) - (up & 0xff)) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 16;
  header[9] = GREYSCALE;
  const compressed = deflateSync(raw, {
    level: options.deflateLevel,
    strategy: options.deflateStrategy,
  });
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', compressed),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
