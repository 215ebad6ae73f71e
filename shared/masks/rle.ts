import type { Point, Rings } from '../model/types';

/**
 * Run-length encoded masks as COCO writes them: `counts` alternate runs of 0s and 1s (the first
 * a run of 0s, possibly empty) over the pixels in column-major order (down the first column, then
 * the next), and `size` is `[height, width]`.
 */
export interface Rle {
  size: [number, number];
  counts: number[];
}

/** The pixels of a mask: how many are set. */
export function rleArea(counts: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < counts.length; i += 2) area += counts[i]!;
  return area;
}

/**
 * pycocotools' compressed counts string (maskApi.c rleToString): each count, from the fourth on
 * as the difference to the count two before, in LEB128-like groups of 5 bits plus a continuation
 * bit, the last group's top bit the sign, each group as the character 48 + value.
 */
export function encodeRleString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      // An arithmetic shift, as the C code's on a signed long.
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/**
 * Decodes pycocotools' compressed counts string (maskApi.c rleFrString), or throws a RangeError
 * naming what is wrong: a character outside 48..111, a truncated group, a negative count.
 */
export function decodeRleString(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new RangeError('the counts string ends inside a count');
      const code = text.charCodeAt(p) - 48;
      if (code < 0 || code > 63) {
        throw new RangeError(`character ${JSON.stringify(text[p])} is not of a counts string`);
      }
      if (k > 6) throw new RangeError('a count of the counts string is too large');
      x += (code & 0x1f) * 2 ** (5 * k);
      more = (code & 0x20) !== 0;
      p++;
      k++;
      if (!more && code & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    if (x < 0) throw new RangeError('the counts string holds a negative count');
    counts.push(x);
  }
  return counts;
}

/** The mask's pixel box: first and last column and row holding a set pixel, or null when empty. */
export function rleBounds(
  rle: Rle,
): { left: number; top: number; right: number; bottom: number } | null {
  const [height] = rle.size;
  let left = Infinity;
  let right = -1;
  let top = Infinity;
  let bottom = -1;
  let at = 0;
  for (let i = 0; i < rle.counts.length; i++) {
    const run = rle.counts[i]!;
    if (i % 2 === 1 && run > 0) {
      const first = at;
      const last = at + run - 1;
      const c0 = Math.floor(first / height);
      const c1 = Math.floor(last / height);
      left = Math.min(left, c0);
      right = Math.max(right, c1);
      if (c0 === c1) {
        top = Math.min(top, first % height);
        bottom = Math.max(bottom, last % height);
      } else {
        // A run that wraps into the next column touches the last and the first row.
        top = 0;
        bottom = height - 1;
      }
    }
    at += run;
  }
  return right < 0 ? null : { left, top, right, bottom };
}

/**
 * The mask's set pixels row by row as half-open spans [from, to), the way fillRings reports a
 * polygon's, rows ascending and spans of a row sorted. Only the mask's bounding box is decoded.
 */
export function rleSpans(rle: Rle, span: (row: number, from: number, to: number) => void): void {
  const bounds = rleBounds(rle);
  if (!bounds) return;
  const { left, top, right, bottom } = bounds;
  const boxWidth = right - left + 1;
  const bitmap = new Uint8Array(boxWidth * (bottom - top + 1));
  const [height] = rle.size;
  let at = 0;
  for (let i = 0; i < rle.counts.length; i++) {
    const run = rle.counts[i]!;
    if (i % 2 === 1) {
      for (let p = at; p < at + run; p++) {
        bitmap[((p % height) - top) * boxWidth + Math.floor(p / height) - left] = 1;
      }
    }
    at += run;
  }
  for (let row = top; row <= bottom; row++) {
    const base = (row - top) * boxWidth;
    let x = 0;
    while (x < boxWidth) {
      if (bitmap[base + x] === 0) {
        x++;
        continue;
      }
      const from = x;
      while (x < boxWidth && bitmap[base + x] === 1) x++;
      span(row, left + from, left + x);
    }
  }
}

/** COCO counts of a row-major binary mask (non-zero = set): what pycocotools' encode computes. */
export function rleFromBitmap(bitmap: ArrayLike<number>, width: number, height: number): Rle {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const value = bitmap[y * width + x]! !== 0 ? 1 : 0;
      if (value !== current) {
        counts.push(run);
        run = 0;
        current = value;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/**
 * The outlines of a mask's 4-connected regions as polygons along pixel edges, holes left out:
 * filled under the pixel-centre rule (DESIGN §8) each gives back exactly its region's pixels,
 * holes filled. Formats that need polygons (YOLO-seg, CSV points) and the box formats read a
 * mask through these.
 */
export function rleOutlines(rle: Rle): Rings {
  const bounds = rleBounds(rle);
  if (!bounds) return [];
  const grid = paddedBitmap(rle, bounds);
  const rings: Rings = [];
  for (const loop of boundaryLoops(boundaryEdges(grid), grid.width)) {
    const polygon = withoutStraightVertices(loop).map((p) => ({
      x: p.x - 1 + bounds.left,
      y: p.y - 1 + bounds.top,
    }));
    // Outer outlines run clockwise on screen (positive signed area with y down); holes the other way.
    if (polygon.length >= 3 && signedArea(polygon) > 0) rings.push(polygon);
  }
  return rings;
}

/** The mask's box as a bitmap with one pixel of margin, so that no neighbour lookup leaves it. */
interface PaddedBitmap {
  width: number;
  height: number;
  set: Uint8Array;
}

function paddedBitmap(
  rle: Rle,
  bounds: { left: number; top: number; right: number; bottom: number },
): PaddedBitmap {
  const { left, top } = bounds;
  const width = bounds.right - left + 3;
  const height = bounds.bottom - top + 3;
  const set = new Uint8Array(width * height);
  rleSpans(rle, (row, from, to) => {
    const base = (row - top + 1) * width - left + 1;
    set.fill(1, base + from, base + to);
  });
  return { width, height, set };
}

/**
 * Directed boundary edges with the region on their right (y down), from a lattice vertex (numbered
 * `y * (width + 1) + x`) to the next. A vertex has two outgoing edges only where two regions touch
 * at a corner.
 */
function boundaryEdges({ width: w, height: h, set }: PaddedBitmap): Map<number, number[]> {
  const filled = (x: number, y: number) => set[y * w + x] === 1;
  const vertex = (x: number, y: number) => y * (w + 1) + x;
  const outgoing = new Map<number, number[]>();
  const add = (x0: number, y0: number, x1: number, y1: number) => {
    const from = vertex(x0, y0);
    const list = outgoing.get(from);
    if (list) list.push(vertex(x1, y1));
    else outgoing.set(from, [vertex(x1, y1)]);
  };
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      if (!filled(x, y)) continue;
      if (!filled(x, y - 1)) add(x, y, x + 1, y);
      if (!filled(x + 1, y)) add(x + 1, y, x + 1, y + 1);
      if (!filled(x, y + 1)) add(x + 1, y + 1, x, y + 1);
      if (!filled(x - 1, y)) add(x, y + 1, x, y);
    }
  }
  return outgoing;
}

/**
 * Walks the edges into closed loops, starting from the lowest-numbered vertex left, taking the
 * edges it walks out of `outgoing`.
 */
function* boundaryLoops(outgoing: Map<number, number[]>, width: number): Iterable<Point[]> {
  const xy = (v: number): Point => ({ x: v % (width + 1), y: Math.floor(v / (width + 1)) });
  for (const start of [...outgoing.keys()].sort((a, b) => a - b)) {
    while ((outgoing.get(start)?.length ?? 0) > 0) {
      const loop: Point[] = [];
      let from = start;
      let previous: Point | null = null;
      for (;;) {
        const choices = outgoing.get(from);
        if (!choices || choices.length === 0) break;
        const here = xy(from);
        const to = choices.splice(rightTurn(choices.map(xy), here, previous), 1)[0]!;
        loop.push(here);
        previous = here;
        from = to;
        if (from === start) break;
      }
      yield loop;
    }
  }
}

/**
 * Which of the next vertices to go on to: where two regions touch at a corner, the right turn
 * (towards the region), so that regions stay 4-connected and each loop simple.
 */
function rightTurn(choices: Point[], here: Point, previous: Point | null): number {
  if (choices.length === 1 || !previous) return 0;
  const dx = here.x - previous.x;
  const dy = here.y - previous.y;
  // The right-hand direction of (dx, dy) with y down is (-dy, dx).
  return Math.max(
    0,
    choices.findIndex((next) => (next.x - here.x) * -dy + (next.y - here.y) * dx > 0),
  );
}

function withoutStraightVertices(loop: Point[]): Point[] {
  return loop.filter((p, i) => {
    const a = loop[(i + loop.length - 1) % loop.length]!;
    const b = loop[(i + 1) % loop.length]!;
    return (p.x - a.x) * (b.y - p.y) - (p.y - a.y) * (b.x - p.x) !== 0;
  });
}

function signedArea(ring: Point[]): number {
  let twice = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return twice / 2;
}
