import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { CSV_COLUMNS } from '../../../shared/formats/csv';
import { CSV_HEADER, csv, csvField, polygonPoints, toCsvRow } from '../../../shared/formats/csv';
import { classificationCase, imagesCase, type TinyCase } from '../../fixtures/tiny/input';
import { renderShard } from './harness';

type Record = { [column in (typeof CSV_COLUMNS)[number]]: string };

async function records(tiny: TinyCase): Promise<Record[]> {
  const { files } = await renderShard(csv, tiny);
  return parse(files.get('annotations.csv')!.toString('utf8'), { columns: true }) as Record[];
}

describe('csv', () => {
  it('quotes a field only when it holds a comma, a quote or a line break (RFC 4180)', () => {
    expect(csvField('car')).toBe('car');
    expect(csvField('traffic light & sign')).toBe('traffic light & sign');
    expect(csvField('sign, "stop"')).toBe('"sign, ""stop"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(12)).toBe('12');
  });

  it('ends the header and every record with CRLF', () => {
    expect(CSV_HEADER).toBe('image_name,width,height,task_type,class,points,rotation\r\n');
    const row = toCsvRow({
      imageName: 'a.jpg',
      width: 4,
      height: 3,
      taskType: 'object_detection',
      className: 'car',
      points: '[[0,0],[1,1]]',
      rotation: '',
    });
    expect(row).toBe('a.jpg,4,3,object_detection,car,"[[0,0],[1,1]]",\r\n');
  });

  it('writes one polygon as [[x,y],...] and several as [[[x,y],...],...]', () => {
    const square = [
      { x: 0, y: 0 },
      { x: 1.5, y: 0 },
      { x: 1.5, y: 1.25 },
    ];
    expect(polygonPoints([square])).toBe('[[0,0],[1.5,0],[1.5,1.25]]');
    expect(polygonPoints([square, square])).toBe(
      '[[[0,0],[1.5,0],[1.5,1.25]],[[0,0],[1.5,0],[1.5,1.25]]]',
    );
  });

  it('reads back with a CSV parser: one record per annotation with geometry, exact class names', async () => {
    const rows = await records(imagesCase());
    expect(rows.map((r) => [r.image_name, r.class])).toEqual([
      ['a.jpg', 'car'],
      ['a.jpg', 'traffic light & sign'],
      ['a.jpg', 'person'],
      ['a.jpg', 'car'],
      ['c.d.jpg', 'sign, "stop"'],
      ['c.d.jpg', 'traffic light & sign'],
    ]);
    expect(rows.every((r) => r.task_type === 'object_detection')).toBe(true);
    expect(rows.map((r) => [r.width, r.height])[4]).toEqual(['40', '30']);
    for (const row of rows) expect(() => JSON.parse(row.points)).not.toThrow();
  });

  it('writes a rotated box unrotated with its angle when the task has rotation', async () => {
    const rows = await records(imagesCase());
    expect(JSON.parse(rows[1]!.points)).toEqual([
      [30, 10],
      [46, 18],
    ]);
    expect(rows[1]!.rotation).toBe('0.5');
    expect(rows[0]!.rotation).toBe('0');
    expect(rows[2]!.rotation).toBe('');
  });

  it('leaves rotation empty and writes the tight box when the task has no rotation', async () => {
    const tiny = imagesCase();
    tiny.task = { ...tiny.task, rotation_enabled: false };
    const rows = await records(tiny);
    expect(rows.every((r) => r.rotation === '')).toBe(true);
    const [[xMin, yMin], [xMax, yMax]] = JSON.parse(rows[1]!.points) as [
      [number, number],
      [number, number],
    ];
    expect(xMin).toBeCloseTo(29.0616, 3);
    expect(yMin).toBeCloseTo(6.6543, 3);
    expect(xMax).toBeCloseTo(46.9384, 3);
    expect(yMax).toBeCloseTo(21.3457, 3);
  });

  it('clips axis-aligned boxes and polygons to the image', async () => {
    const rows = await records(imagesCase());
    expect(JSON.parse(rows[3]!.points)).toEqual([
      [50, 40],
      [64, 48],
    ]);
    expect(JSON.parse(rows[5]!.points)).toEqual([
      [0, 0],
      [5, 5],
    ]);
  });

  it('writes one record per Tag with empty points for classification', async () => {
    const rows = await records(classificationCase());
    expect(rows).toEqual([
      {
        image_name: 'one.jpg',
        width: '64',
        height: '48',
        task_type: 'classification',
        class: 'cat',
        points: '',
        rotation: '',
      },
      expect.objectContaining({ image_name: 'two.jpg', class: 'dog & wolf', points: '' }),
      expect.objectContaining({ image_name: 'two.jpg', class: 'cat', points: '' }),
    ]);
  });

  it('refuses an annotation whose class is not in the task, naming item and frame', async () => {
    const tiny = classificationCase();
    tiny.items[0]!.annotations[0]!.class_id = 99;
    await expect(renderShard(csv, tiny)).rejects.toThrow(
      'one.jpg frame 0: class id 99 is not a class of the task',
    );
  });
});
