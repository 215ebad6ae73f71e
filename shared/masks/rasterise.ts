import type { Rings } from '../model/types';

/**
 * Scanline polygon fill following DESIGN §8: pixel (c, r) is inside when its centre
 * (c + 0.5, r + 0.5) is inside under the non-zero rule. Each ring is filled on its own and the
 * rings are unioned, so overlapping parts never cancel whatever their vertex order.
 *
 * `span(row, from, to)` receives half-open column ranges [from, to) already clipped to the image;
 * spans of one row arrive sorted and disjoint.
 *
 * An edge takes part in row r when top <= r + 0.5 < bottom (half-open in y), and a crossing at x
 * covers column c when x <= c + 0.5 on the entering side and c + 0.5 < x on the leaving side; this
 * makes shared edges and vertices on row centres count exactly once.
 */
export function fillRings(
  rings: Rings,
  width: number,
  height: number,
  span: (row: number, from: number, to: number) => void,
): void {
  const edges = buildEdges(rings);
  const count = edges.count;
  if (count === 0 || width <= 0 || height <= 0) return;
  const { top, bottom, x0, y0, dx, dy, dir, ring, order } = edges;
  const rowFrom = Math.max(0, Math.ceil(edges.yMin - 0.5));
  const rowTo = Math.min(height, Math.ceil(edges.yMax - 0.5));

  // The active edge table: edge ids kept sorted by their crossing x on the current row. Rows move
  // the crossings only a little, so an insertion sort over the previous order is nearly linear.
  const active = new Int32Array(count);
  const activeX = new Float64Array(count);
  let activeCount = 0;
  // Winding number of each ring at the sweep position; a closed ring returns to 0 by the row end.
  const winding = new Int32Array(edges.ringCount);
  let next = 0;

  for (let row = rowFrom; row < rowTo; row++) {
    const y = row + 0.5;
    // Drop edges that ended above this row centre, add the ones that start at or above it.
    let kept = 0;
    for (let i = 0; i < activeCount; i++) {
      const e = active[i]!;
      if (bottom[e]! > y) active[kept++] = e;
    }
    activeCount = kept;
    while (next < count && top[order[next]!]! <= y) {
      const e = order[next++]!;
      if (bottom[e]! > y) active[activeCount++] = e;
    }
    if (activeCount === 0) {
      if (next >= count) break;
      continue;
    }
    for (let i = 0; i < activeCount; i++) {
      const e = active[i]!;
      // Multiplying before dividing keeps the crossing exact whenever it is representable, so a
      // crossing on a pixel centre is decided by the tie rule, not by rounding.
      const x = x0[e]! + ((y - y0[e]!) * dx[e]!) / dy[e]!;
      let j = i;
      while (j > 0 && activeX[j - 1]! > x) {
        activeX[j] = activeX[j - 1]!;
        active[j] = active[j - 1]!;
        j--;
      }
      activeX[j] = x;
      active[j] = e;
    }

    // Sweep left to right counting the rings whose winding is not 0: the union is where that
    // count is positive.
    let covering = 0;
    let start = 0;
    let lastTo = 0;
    let pendingFrom = -1;
    let pendingTo = -1;
    for (let i = 0; i < activeCount; i++) {
      const e = active[i]!;
      const r = ring[e]!;
      const before = winding[r]!;
      const after = before + dir[e]!;
      winding[r] = after;
      if (before === 0 && after !== 0) {
        if (covering++ === 0) start = activeX[i]!;
      } else if (before !== 0 && after === 0) {
        if (--covering === 0) {
          // Column c is inside when start <= c + 0.5 < end.
          let from = Math.ceil(start - 0.5);
          let to = Math.ceil(activeX[i]! - 0.5);
          if (from < lastTo) from = lastTo;
          if (from < 0) from = 0;
          if (to > width) to = width;
          if (to > from) {
            // Intervals that touch at a pixel boundary become one span.
            if (pendingTo === from) {
              pendingTo = to;
            } else {
              if (pendingFrom >= 0) span(row, pendingFrom, pendingTo);
              pendingFrom = from;
              pendingTo = to;
            }
            lastTo = to;
          }
        }
      }
    }
    if (pendingFrom >= 0) span(row, pendingFrom, pendingTo);
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
  ringCount: number;
  x0: Float64Array;
  y0: Float64Array;
  top: Float64Array;
  bottom: Float64Array;
  dx: Float64Array;
  dy: Float64Array;
  dir: Int8Array;
  ring: Int32Array;
  /** Edge ids by ascending top. */
  order: Int32Array;
  yMin: number;
  yMax: number;
}

function buildEdges(rings: Rings): EdgeTable {
  let total = 0;
  for (const ring of rings) total += ring.length;
  const x0 = new Float64Array(total);
  const y0 = new Float64Array(total);
  const top = new Float64Array(total);
  const bottom = new Float64Array(total);
  const dx = new Float64Array(total);
  const dy = new Float64Array(total);
  const dir = new Int8Array(total);
  const ringOf = new Int32Array(total);
  let count = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let r = 0; r < rings.length; r++) {
    const ring = rings[r]!;
    if (ring.length < 3) continue;
    let a = ring[ring.length - 1]!;
    for (let i = 0; i < ring.length; i++) {
      const b = ring[i]!;
      // Horizontal edges never cross a row centre line.
      if (a.y !== b.y) {
        const n = count++;
        x0[n] = a.x;
        y0[n] = a.y;
        dx[n] = b.x - a.x;
        dy[n] = b.y - a.y;
        if (b.y > a.y) {
          top[n] = a.y;
          bottom[n] = b.y;
          dir[n] = 1;
        } else {
          top[n] = b.y;
          bottom[n] = a.y;
          dir[n] = -1;
        }
        ringOf[n] = r;
        if (top[n]! < yMin) yMin = top[n]!;
        if (bottom[n]! > yMax) yMax = bottom[n]!;
      }
      a = b;
    }
  }
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((p, q) => top[p]! - top[q]!);
  return {
    count,
    ringCount: rings.length,
    x0,
    y0,
    top,
    bottom,
    dx,
    dy,
    dir,
    ring: ringOf,
    order,
    yMin,
    yMax,
  };
}
