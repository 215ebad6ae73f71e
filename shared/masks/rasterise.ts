import type { Rings } from '../model/types';

/**
 * Scanline polygon fill following DESIGN §8: pixel (c, r) is inside when its centre
 * (c + 0.5, r + 0.5) is inside under the non-zero rule. Each ring is filled on its own and the
 * rings are unioned, so overlapping parts never cancel whatever their vertex order.
 *
 * `span(row, from, to)` receives half-open column ranges [from, to) already clipped to the image;
 * spans of one row arrive sorted and disjoint.
 */
export function fillRings(
  rings: Rings,
  width: number,
  height: number,
  span: (row: number, from: number, to: number) => void,
): void {
  const edges = buildEdges(rings);
  if (edges.count === 0) return;
  const rowFrom = Math.max(0, Math.ceil(edges.yMin - 0.5));
  const rowTo = Math.min(height, Math.ceil(edges.yMax - 0.5));
  const crossings: number[] = [];
  const intervals: Array<[number, number]> = [];
  // Edges sorted by top y; `active` holds indices of edges whose y-range can contain the row centre.
  const order = edges.order;
  let next = 0;
  let active: number[] = [];
  for (let row = rowFrom; row < rowTo; row++) {
    const y = row + 0.5;
    while (next < order.length && edges.top[order[next]!]! <= y) active.push(order[next++]!);
    active = active.filter((e) => edges.bottom[e]! > y);
    if (active.length === 0) continue;
    intervals.length = 0;
    // Group crossings by ring: each ring's non-zero intervals are computed alone, then unioned.
    let ringStart = 0;
    active.sort((a, b) => edges.ring[a]! - edges.ring[b]!);
    while (ringStart < active.length) {
      const ring = edges.ring[active[ringStart]!]!;
      let ringEnd = ringStart;
      crossings.length = 0;
      while (ringEnd < active.length && edges.ring[active[ringEnd]!] === ring) {
        const e = active[ringEnd]!;
        const x = edges.x0[e]! + (y - edges.y0[e]!) * edges.slope[e]!;
        // Pack direction into the crossing list as pairs.
        crossings.push(x, edges.dir[e]!);
        ringEnd++;
      }
      pushNonZeroIntervals(crossings, intervals);
      ringStart = ringEnd;
    }
    emitUnion(intervals, row, width, span);
  }
}

/** Number of pixels the rings cover inside the image. */
export function countPixels(rings: Rings, width: number, height: number): number {
  let total = 0;
  fillRings(rings, width, height, (_row, from, to) => {
    total += to - from;
  });
  return total;
}

interface EdgeTable {
  count: number;
  x0: Float64Array;
  y0: Float64Array;
  top: Float64Array;
  bottom: Float64Array;
  slope: Float64Array;
  dir: Int8Array;
  ring: Int32Array;
  order: number[];
  yMin: number;
  yMax: number;
}

function buildEdges(rings: Rings): EdgeTable {
  let total = 0;
  for (const ring of rings) total += ring.length;
  const t: EdgeTable = {
    count: 0,
    x0: new Float64Array(total),
    y0: new Float64Array(total),
    top: new Float64Array(total),
    bottom: new Float64Array(total),
    slope: new Float64Array(total),
    dir: new Int8Array(total),
    ring: new Int32Array(total),
    order: [],
    yMin: Infinity,
    yMax: -Infinity,
  };
  rings.forEach((ring, r) => {
    if (ring.length < 3) return;
    for (let i = 0; i < ring.length; i++) {
      const a = ring[i]!;
      const b = ring[(i + 1) % ring.length]!;
      if (a.y === b.y) continue; // horizontal edges never cross a row centre line
      const n = t.count++;
      t.x0[n] = a.x;
      t.y0[n] = a.y;
      t.top[n] = Math.min(a.y, b.y);
      t.bottom[n] = Math.max(a.y, b.y);
      t.slope[n] = (b.x - a.x) / (b.y - a.y);
      t.dir[n] = b.y > a.y ? 1 : -1;
      t.ring[n] = r;
      if (t.top[n]! < t.yMin) t.yMin = t.top[n]!;
      if (t.bottom[n]! > t.yMax) t.yMax = t.bottom[n]!;
    }
  });
  t.order = Array.from({ length: t.count }, (_, i) => i).sort((a, b) => t.top[a]! - t.top[b]!);
  return t;
}

/** From (x, dir) pairs of one ring on one row, the x-intervals where the winding number is not 0. */
function pushNonZeroIntervals(pairs: number[], out: Array<[number, number]>): void {
  const n = pairs.length / 2;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
  let winding = 0;
  let start = 0;
  for (const i of idx) {
    const x = pairs[2 * i]!;
    const before = winding;
    winding += pairs[2 * i + 1]!;
    if (before === 0 && winding !== 0) start = x;
    else if (before !== 0 && winding === 0) out.push([start, x]);
  }
}

/** Unions x-intervals and emits the pixel columns whose centres fall inside them. */
function emitUnion(
  intervals: Array<[number, number]>,
  row: number,
  width: number,
  span: (row: number, from: number, to: number) => void,
): void {
  if (intervals.length === 0) return;
  intervals.sort((a, b) => a[0] - b[0]);
  let lastTo = 0;
  for (const [xa, xb] of intervals) {
    // Column c is inside when xa <= c + 0.5 < xb.
    let from = Math.max(0, Math.ceil(xa - 0.5), lastTo);
    const to = Math.min(width, Math.ceil(xb - 0.5));
    if (to <= from) continue;
    span(row, from, to);
    lastTo = to;
    from = to;
  }
}
