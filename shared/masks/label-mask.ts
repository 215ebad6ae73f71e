import type { MaskGeometry, Rings } from '../model/types';
import { fillRings } from './rasterise';
import { rleSpans } from './rle';

/** The largest value a PNG mask can hold (16-bit greyscale). */
export const MAX_MASK_VALUE = 65535;

/**
 * One image's label mask: a value per pixel, 0 for background, painted annotation by annotation so
 * that a later annotation covers an earlier one (DESIGN §8). It holds 8-bit values until a value
 * above 255 is painted and 16-bit values from then on, so that the PNG is 16-bit only when needed.
 *
 * A mask is meant to be cleared and painted again for the next image of the same size: a fresh
 * 1920x1080 buffer per image costs more in allocation and garbage collection than the painting.
 */
export class LabelMask {
  private readonly bytes: Uint8Array;
  private words: Uint16Array | null = null;
  private data: Uint8Array | Uint16Array;
  /** The buffer binary() returns, and the rows of it that hold 255s. */
  private scratch: Uint8Array | null = null;
  private scratchRows: { top: number; bottom: number } | null = null;
  /** Per painted value: the rows and columns it was painted in (a superset of where it is left). */
  private readonly painted = new Map<
    number,
    { top: number; bottom: number; left: number; right: number }
  >();

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.bytes = new Uint8Array(width * height);
    this.data = this.bytes;
  }

  /** Back to an empty 8-bit mask, zeroing only the rows that were painted. */
  clear(): void {
    const rows = this.paintedRows();
    if (rows) this.data.fill(0, rows.top * this.width, (rows.bottom + 1) * this.width);
    this.data = this.bytes;
    this.painted.clear();
  }

  /** The values, row by row: a Uint8Array for an 8-bit mask, a Uint16Array for a 16-bit one. */
  get pixels(): Uint8Array | Uint16Array {
    return this.data;
  }

  /**
   * Paints the union of the rings (or exactly the pixels of a mask of this mask's size) with
   * `value` (1..65535) and returns how many pixels it covered.
   */
  paint(shape: Rings | MaskGeometry, value: number): number {
    if (!Number.isInteger(value) || value < 1 || value > MAX_MASK_VALUE) {
      throw new RangeError(`mask value ${value} is outside 1..${MAX_MASK_VALUE}`);
    }
    if (value > 255 && this.data === this.bytes) {
      this.words ??= new Uint16Array(this.width * this.height);
      this.words.set(this.bytes);
      const rows = this.paintedRows();
      if (rows) this.bytes.fill(0, rows.top * this.width, (rows.bottom + 1) * this.width);
      this.data = this.words;
    }
    const data = this.data;
    const width = this.width;
    let covered = 0;
    let top = Infinity;
    let bottom = -1;
    let left = Infinity;
    let right = -1;
    const span = (row: number, from: number, to: number) => {
      data.fill(value, row * width + from, row * width + to);
      covered += to - from;
      if (row < top) top = row;
      bottom = row;
      if (from < left) left = from;
      if (to > right) right = to;
    };
    if (Array.isArray(shape)) fillRings(shape, width, this.height, span);
    else rleSpans(shape, span);
    if (covered > 0) {
      const seen = this.painted.get(value);
      if (seen) {
        seen.top = Math.min(seen.top, top);
        seen.bottom = Math.max(seen.bottom, bottom);
        seen.left = Math.min(seen.left, left);
        seen.right = Math.max(seen.right, right);
      } else {
        this.painted.set(value, { top, bottom, left, right });
      }
    }
    return covered;
  }

  /** The non-zero values left in the mask after painting, ascending. */
  present(): number[] {
    const rows = this.paintedRows();
    if (!rows) return [];
    const { top, bottom } = rows;
    const data = this.data;
    const seen = new Uint8Array(data instanceof Uint16Array ? MAX_MASK_VALUE + 1 : 256);
    const end = (bottom + 1) * this.width;
    for (let i = top * this.width; i < end; i++) seen[data[i]!] = 1;
    const values: number[] = [];
    for (let v = 1; v < seen.length; v++) if (seen[v] === 1) values.push(v);
    return values;
  }

  /**
   * A binary mask of one value: 255 where the mask holds it, 0 elsewhere. The buffer is reused:
   * it holds this value's mask until the next call.
   */
  binary(value: number): Uint8Array {
    this.scratch ??= new Uint8Array(this.width * this.height);
    const out = this.scratch;
    if (this.scratchRows) {
      out.fill(0, this.scratchRows.top * this.width, (this.scratchRows.bottom + 1) * this.width);
      this.scratchRows = null;
    }
    const b = this.painted.get(value);
    if (!b) return out;
    this.scratchRows = { top: b.top, bottom: b.bottom };
    const data = this.data;
    for (let row = b.top; row <= b.bottom; row++) {
      const end = row * this.width + b.right;
      for (let i = row * this.width + b.left; i < end; i++) if (data[i] === value) out[i] = 255;
    }
    return out;
  }

  /** The first and last row anything was painted in, or null for an empty mask. */
  private paintedRows(): { top: number; bottom: number } | null {
    if (this.painted.size === 0) return null;
    let top = Infinity;
    let bottom = -1;
    for (const b of this.painted.values()) {
      if (b.top < top) top = b.top;
      if (b.bottom > bottom) bottom = b.bottom;
    }
    return { top, bottom };
  }
}
