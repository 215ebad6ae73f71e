import { describe, expect, it } from 'vitest';
import { placeGeometry } from '../../../shared/geometry';
import { anAnnotation } from '../../helpers/builders';

describe('placeGeometry', () => {
  it('skips a polygon whose points are collinear, like a zero-area box', () => {
    const line = (points: number[][]) =>
      anAnnotation({ type: 'Poly', poly: [points.map(([x, y]) => ({ x: x!, y: y! }))] });
    for (const points of [
      [
        [1, 1],
        [5, 5],
        [3, 3],
      ],
      [
        [0.1, 0.2],
        [0.3, 0.6],
        [0.7, 1.4],
        [0.2, 0.4],
      ],
      [
        [4, 4],
        [4, 4],
        [4, 4],
      ],
    ]) {
      expect(placeGeometry(line(points), 10, 10)).toEqual({
        skipped: 'zero-area polygon (collinear points) skipped',
      });
    }
    // A bow tie has no net area but covers pixels: it is kept.
    const bowTie = placeGeometry(
      line([
        [0, 0],
        [4, 4],
        [4, 0],
        [0, 4],
      ]),
      10,
      10,
    );
    expect(bowTie && 'rings' in bowTie).toBe(true);
  });

  it('has nothing to place for a Tag', () => {
    expect(placeGeometry(anAnnotation({ type: 'Tag' }), 10, 10)).toBeNull();
  });

  it('gives the tight box of a rotated box clipped to the image', () => {
    const placed = placeGeometry(
      anAnnotation({ box: { x: 2, y: 2, w: 4, h: 4, orientation: Math.PI / 4 } }),
      100,
      100,
    );
    if (!placed || 'skipped' in placed) throw new Error('the box should be placed');
    const { bounds } = placed;
    const half = 2 * Math.SQRT2;
    expect(bounds.xMin).toBeCloseTo(4 - half, 9);
    expect(bounds.xMax).toBeCloseTo(4 + half, 9);
    expect(bounds.yMin).toBeCloseTo(4 - half, 9);
  });

  it('gives the box spanning every part of a multi-part polygon', () => {
    const placed = placeGeometry(
      anAnnotation({
        type: 'Poly',
        poly: [
          [
            { x: 1, y: 1 },
            { x: 3, y: 1 },
            { x: 2, y: 3 },
          ],
          [
            { x: 7, y: 6 },
            { x: 9, y: 6 },
            { x: 8, y: 12 },
          ],
        ],
      }),
      10,
      10,
    );
    expect(placed).toMatchObject({ bounds: { xMin: 1, yMin: 1, xMax: 9, yMax: 10 } });
  });

  it.each([
    [
      'a zero-area box',
      { box: { x: 1, y: 1, w: 0, h: 3, orientation: null } },
      'zero-area box skipped',
    ],
    [
      'a polygon of two points',
      {
        type: 'Poly' as const,
        poly: [
          [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        ],
      },
      'polygon with fewer than 3 points skipped',
    ],
    [
      'a box wholly outside the image',
      { box: { x: 20, y: 1, w: 3, h: 3, orientation: null } },
      'annotation lies outside the image and was skipped',
    ],
  ])('skips %s with the reason', (_what, fields, reason) => {
    expect(placeGeometry(anAnnotation(fields), 10, 10)).toEqual({ skipped: reason });
  });
});
