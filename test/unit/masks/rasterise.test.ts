import { describe, expect, it } from 'vitest';
import { annotationRings, boxCorners } from '../../../shared/geometry';
import { countPixels, fillRings } from '../../../shared/masks/rasterise';
import type { Point, Rings } from '../../../shared/model/types';
import { aRectangle as rect } from '../../helpers/builders';
import { bruteForceMask, perimeter, scribble, seeded, shoelace, starPolygon } from './reference';

function rasterise(rings: Rings, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  fillRings(rings, width, height, (row, from, to) => {
    for (let c = from; c < to; c++) out[row * width + c]! += 1;
  });
  return out;
}

function pixelsOf(mask: Uint8Array, width: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  mask.forEach((v, i) => {
    if (v) out.push([i % width, Math.floor(i / width)]);
  });
  return out;
}

describe('fillRings', () => {
  it('covers exactly the pixels of a square with integer corners', () => {
    const mask = rasterise([rect(2, 3, 7, 9)], 12, 12);
    const expected: Array<[number, number]> = [];
    for (let row = 3; row < 9; row++) for (let col = 2; col < 7; col++) expected.push([col, row]);
    expect(pixelsOf(mask, 12)).toEqual(expected);
  });

  it('fills a pixel only when its centre is inside', () => {
    // Edges at x = 1.49 and 3.5: centre 1.5 is inside, centre 3.5 is not (half-open on the right).
    const mask = rasterise([rect(1.49, 0.5, 3.5, 1.5)], 5, 3);
    expect(pixelsOf(mask, 5)).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('gives the same mask for the reversed vertex order', () => {
    const random = seeded(7);
    for (let i = 0; i < 50; i++) {
      const ring = starPolygon(random, 40, 30, 5 + random() * 35, 3 + Math.floor(random() * 30));
      expect(rasterise([[...ring].reverse()], 80, 60)).toEqual(rasterise([ring], 80, 60));
    }
  });

  it('unions overlapping parts instead of cancelling them, whatever their orientation', () => {
    const a = rect(0, 0, 6, 6);
    const b = [...rect(3, 3, 9, 9)].reverse();
    const mask = rasterise([a, b], 10, 10);
    // 36 + 36 - 9 overlapping pixels, each covered once.
    expect(countPixels([a, b], 10, 10)).toBe(63);
    expect(Math.max(...mask)).toBe(1);
    expect(mask[4 * 10 + 4]).toBe(1);
  });

  it('fills a self-overlapping ring by the non-zero rule', () => {
    // A pentagram: its centre has winding number 2 (even-odd would leave it empty).
    const star: Point[] = [0, 2, 4, 1, 3].map((k) => ({
      x: 50 + 40 * Math.sin((2 * Math.PI * k) / 5),
      y: 50 - 40 * Math.cos((2 * Math.PI * k) / 5),
    }));
    const mask = rasterise([star], 100, 100);
    expect(mask[50 * 100 + 50]).toBe(1);
    expect(mask).toEqual(bruteForceMask([star], 100, 100));
  });

  it('keeps a pixel count within the perimeter bound of the shoelace area', () => {
    const random = seeded(42);
    for (let i = 0; i < 200; i++) {
      const radius = 3 + random() * 200;
      const ring = starPolygon(random, 250, 250, radius, 3 + Math.floor(random() * 62));
      const count = countPixels([ring], 500, 500);
      expect(Math.abs(count - shoelace(ring))).toBeLessThanOrEqual(perimeter(ring));
    }
  });

  it('agrees pixel for pixel with a brute-force non-zero test on random polygons', () => {
    const random = seeded(2024);
    for (let i = 0; i < 150; i++) {
      const width = 20 + Math.floor(random() * 60);
      const height = 20 + Math.floor(random() * 60);
      const parts = 1 + Math.floor(random() * 3);
      const rings: Rings = [];
      for (let p = 0; p < parts; p++) {
        rings.push(
          random() < 0.5
            ? scribble(random, width, height, 3 + Math.floor(random() * 12))
            : starPolygon(
                random,
                random() * width,
                random() * height,
                2 + random() * width,
                3 + Math.floor(random() * 40),
              ),
        );
      }
      expect(rasterise(rings, width, height)).toEqual(bruteForceMask(rings, width, height));
    }
  });

  it('agrees with brute force on vertices and edges that sit exactly on pixel centres', () => {
    const random = seeded(99);
    for (let i = 0; i < 150; i++) {
      const ring = Array.from({ length: 3 + Math.floor(random() * 8) }, () => ({
        x: Math.floor(random() * 40) / 2,
        y: Math.floor(random() * 40) / 2,
      }));
      expect(rasterise([ring], 20, 20)).toEqual(bruteForceMask([ring], 20, 20));
    }
  });

  it('fills a rotated box as its rotated rectangle', () => {
    const box = { x: 10, y: 10, w: 4, h: 2, orientation: Math.PI / 2 };
    // Rotated a quarter turn about its centre (12, 11): 2 wide, 4 high.
    expect(pixelsOf(rasterise([boxCorners(box)], 30, 30), 30)).toEqual([
      [11, 9],
      [12, 9],
      [11, 10],
      [12, 10],
      [11, 11],
      [12, 11],
      [11, 12],
      [12, 12],
    ]);
    const tilted = { x: 20, y: 15, w: 30, h: 12, orientation: 0.6 };
    const rings = annotationRings({ type: 'Box', box: tilted } as never);
    expect(rasterise(rings, 80, 60)).toEqual(bruteForceMask(rings, 80, 60));
    expect(Math.abs(countPixels(rings, 80, 60) - 360)).toBeLessThanOrEqual(2 * (30 + 12));
  });

  it('clips at the image border', () => {
    const ring = rect(-10.3, -4.2, 5.2, 3.7);
    expect(pixelsOf(rasterise([ring], 8, 8), 8)).toEqual(
      [0, 1, 2, 3].flatMap((row) => [0, 1, 2, 3, 4].map((col): [number, number] => [col, row])),
    );
    expect(countPixels([rect(-50, -50, 150, 150)], 10, 10)).toBe(100);
    expect(countPixels([rect(20, 20, 30, 30)], 10, 10)).toBe(0);
    expect(countPixels([rect(-30, 2, -20, 8)], 10, 10)).toBe(0);
  });

  it('reports sorted, disjoint spans inside the image', () => {
    const random = seeded(5);
    for (let i = 0; i < 100; i++) {
      const rings = [scribble(random, 40, 40, 12), scribble(random, 40, 40, 7)];
      const lastTo = new Map<number, number>();
      let lastRow = -1;
      fillRings(rings, 40, 40, (row, from, to) => {
        expect(row).toBeGreaterThanOrEqual(lastRow);
        expect(from).toBeGreaterThanOrEqual(0);
        expect(to).toBeLessThanOrEqual(40);
        expect(to).toBeGreaterThan(from);
        expect(from).toBeGreaterThan(lastTo.get(row) ?? -1);
        lastTo.set(row, to);
        lastRow = row;
      });
    }
  });

  it('ignores rings with fewer than 3 points', () => {
    const line = [
      { x: 0, y: 0 },
      { x: 9, y: 9 },
    ];
    expect(countPixels([line], 10, 10)).toBe(0);
    expect(countPixels([line, rect(0, 0, 2, 2)], 10, 10)).toBe(4);
  });
});
