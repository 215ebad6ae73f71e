import { describe, expect, it } from 'vitest';
import { kitti, kittiOccluded, kittiType, toKittiLine } from '../../../shared/formats/kitti';
import { imagesCase } from '../../fixtures/tiny/input';
import { renderShard } from './harness';

describe('kitti', () => {
  it("writes KITTI's 15 space-separated fields with 2D-only values", () => {
    const line = toKittiLine({
      className: 'traffic light & sign',
      truncated: 0.25,
      occluded: 1,
      bounds: { xMin: 1.234, yMin: 2, xMax: 30.5, yMax: 40.125 },
    });
    expect(line).toBe(
      'traffic_light_&_sign 0.25 1 -10.00 1.23 2.00 30.50 40.13 -1.00 -1.00 -1.00 -1000.00 -1000.00 -1000.00 -10.00',
    );
    expect(line.split(' ')).toHaveLength(15);
  });

  it('replaces every space of a class name so the type stays one field', () => {
    expect(kittiType('traffic light & sign')).toBe('traffic_light_&_sign');
    expect(kittiType('a\tb')).toBe('a_b');
  });

  it('takes occluded from the annotation metadata when it is 0-3, else 3 (unknown)', () => {
    expect(kittiOccluded(0)).toBe(0);
    expect(kittiOccluded(2)).toBe(2);
    expect(kittiOccluded('1')).toBe(1);
    expect(kittiOccluded(7)).toBe(3);
    expect(kittiOccluded(1.5)).toBe(3);
    expect(kittiOccluded(true)).toBe(3);
    expect(kittiOccluded(undefined)).toBe(3);
  });

  it('writes the share of the box outside the image as truncated', async () => {
    const { files } = await renderShard(kitti, imagesCase());
    const a = files.get('a.txt')!.toString('utf8').trim().split('\n');
    // A 20x16 box of which 14x8 lies inside the image.
    expect(a[3]!.split(' ').slice(0, 3)).toEqual(['car', '0.65', '1']);
    expect(a[0]!.split(' ')[1]).toBe('0.00');
  });

  it('writes an empty file for an image without objects', async () => {
    const { files } = await renderShard(kitti, imagesCase());
    expect(files.get('b.txt')!.length).toBe(0);
  });
});
