import { PNG } from 'pngjs';
import type { Point, Rings } from '../../../shared/model/types';

/**
 * The slow, obviously correct definition of DESIGN §8 that the scanline rasteriser must match:
 * a pixel is inside when its centre has a non-zero winding number for at least one ring.
 */
export function bruteForceMask(rings: Rings, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const inside = rings.some(
        (ring) => ring.length >= 3 && winding(ring, col + 0.5, row + 0.5) !== 0,
      );
      if (inside) out[row * width + col] = 1;
    }
  }
  return out;
}

/**
 * Winding number of a closed ring at (px, py), from the edges that cross the horizontal line
 * through it at or left of it. Edges are half-open in y (top included), so a point exactly on an
 * edge counts as inside when the edge is its left boundary: the tie rule that lets polygons sharing
 * an edge cover each pixel once.
 */
export function winding(ring: Point[], px: number, py: number): number {
  let w = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    const side = (b.x - a.x) * (py - a.y) - (px - a.x) * (b.y - a.y);
    // side is (crossing x - px) times the edge's dy: its sign says on which side the crossing is.
    if (a.y <= py && b.y > py && side <= 0) w++;
    else if (b.y <= py && a.y > py && side >= 0) w--;
  }
  return w;
}

/** A deterministic generator (mulberry32) so that every run tests the same polygons. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A simple (star-shaped) polygon around (cx, cy): vertices at increasing angles. */
export function starPolygon(
  random: () => number,
  cx: number,
  cy: number,
  radius: number,
  n: number,
): Point[] {
  const angles = Array.from({ length: n }, () => random() * Math.PI * 2).sort((a, b) => a - b);
  return angles.map((angle) => {
    const r = radius * (0.3 + 0.7 * random());
    return { x: cx + Math.cos(angle) * r, y: cy + Math.sin(angle) * r };
  });
}

/** Any closed ring, self-intersecting as it likes. */
export function scribble(random: () => number, width: number, height: number, n: number): Point[] {
  return Array.from({ length: n }, () => ({
    x: -5 + random() * (width + 10),
    y: -5 + random() * (height + 10),
  }));
}

export function shoelace(ring: Point[]): number {
  let twice = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.abs(twice) / 2;
}

export function perimeter(ring: Point[]): number {
  let total = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    total += Math.hypot(b.x - a.x, b.y - a.y);
  }
  return total;
}

/** A decoded greyscale PNG: its bit depth and one value per pixel. */
export interface DecodedMask {
  width: number;
  height: number;
  depth: number;
  values: number[];
}

/** Decodes a PNG with pngjs (an independent reader) keeping 16-bit samples as they are. */
export function decodeMask(bytes: Uint8Array): DecodedMask {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const png = PNG.sync.read(buffer, { skipRescale: true });
  const header = buffer.readUInt8(24);
  const colorType = buffer.readUInt8(25);
  if (colorType !== 0) throw new Error(`expected a greyscale PNG, got colour type ${colorType}`);
  const values: number[] = [];
  const data = png.data as unknown as ArrayLike<number>;
  for (let i = 0; i < png.width * png.height; i++) values.push(data[i * 4]!);
  return { width: png.width, height: png.height, depth: header, values };
}
