import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toYoloRow } from '../../../shared/formats/common/yolo-rows';
import { yoloDarknet } from '../../../shared/formats/yolo-darknet';
import { kerasImagePath, toKerasBox, yoloKeras } from '../../../shared/formats/yolo-keras';
import { imagesCase } from '../../fixtures/tiny/input';
import { renderShard } from './harness';

describe('yolo_darknet', () => {
  it('writes the 0-based class index and the normalised centre and size', () => {
    expect(toYoloRow(2, { xMin: 16, yMin: 12, xMax: 48, yMax: 36 }, 64, 48)).toBe(
      '2 0.5 0.5 0.5 0.5',
    );
  });

  it('writes at most 6 decimals and no trailing zeros', () => {
    expect(toYoloRow(0, { xMin: 0, yMin: 0, xMax: 1, yMax: 2 }, 3, 3)).toBe(
      '0 0.166667 0.333333 0.333333 0.666667',
    );
  });

  it('keeps every value of a clipped box within [0,1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        (width, height, [a, b, c, d]) => {
          const row = toYoloRow(
            0,
            {
              xMin: Math.min(a!, b!) * width,
              xMax: Math.max(a!, b!) * width,
              yMin: Math.min(c!, d!) * height,
              yMax: Math.max(c!, d!) * height,
            },
            width,
            height,
          );
          const values = row.split(' ').slice(1).map(Number);
          return values.length === 4 && values.every((v) => v >= 0 && v <= 1);
        },
      ),
    );
  });

  it('indexes classes by their line in darknet.labels, classes by ascending id', async () => {
    const { files } = await renderShard(yoloDarknet, imagesCase());
    const labels = files.get('darknet.labels')!.toString('utf8').split('\n');
    expect(labels).toEqual(['car', 'traffic light & sign', 'person', 'sign, "stop"', '']);
    const indexOf = (line: string) => labels[Number(line.split(' ')[0])];
    const a = files.get('a.txt')!.toString('utf8').trim().split('\n');
    expect(a.map(indexOf)).toEqual(['car', 'traffic light & sign', 'person', 'car']);
    const c = files.get('c.d.txt')!.toString('utf8').trim().split('\n');
    expect(c.map(indexOf)).toEqual(['sign, "stop"', 'traffic light & sign']);
  });

  it('writes an empty file for an image without objects', async () => {
    const { files } = await renderShard(yoloDarknet, imagesCase());
    expect(files.get('b.txt')!.length).toBe(0);
  });
});

describe('yolo_keras', () => {
  it('writes boxes as whole pixels x_min,y_min,x_max,y_max,class', () => {
    expect(toKerasBox({ xMin: 4.4, yMin: 5.6, xMax: 24.4, yMax: 15.5 }, 3)).toBe('4,6,24,16,3');
  });

  it('points at the image inside the archive', () => {
    expect(kerasImagePath('Street & park', 'a.jpg')).toBe('datasets/Street & park/a.jpg');
  });

  it('writes one line per image, images without objects included, in item order', async () => {
    const { files } = await renderShard(yoloKeras, imagesCase());
    const lines = files.get('yolokeras.annotations.txt')!.toString('utf8').split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([
      'datasets/Street & park/a.jpg',
      'datasets/Street & park/b.png',
      'datasets/Street & park/c.d.jpg',
      '',
    ]);
    expect(lines[1]).toBe('datasets/Street & park/b.png');
    expect(lines[2]).toBe('datasets/Street & park/c.d.jpg 10,6,31,20,3 0,0,5,5,1');
  });

  it('falls back to the dataset name when no folder name is given', async () => {
    const tiny = imagesCase();
    const { files } = await renderShard(yoloKeras, {
      ...tiny,
      dataset: { ...tiny.dataset, name: 'raw name' },
      datasetFolder: undefined,
    });
    expect(files.get('yolokeras.annotations.txt')!.toString('utf8')).toMatch(
      /^datasets\/raw name\/a\.jpg /,
    );
  });

  it('lists classes by ascending id in yolokeras.classes.txt', async () => {
    const { files } = await renderShard(yoloKeras, imagesCase());
    expect(files.get('yolokeras.classes.txt')!.toString('utf8')).toBe(
      'car\ntraffic light & sign\nperson\nsign, "stop"\n',
    );
  });
});
