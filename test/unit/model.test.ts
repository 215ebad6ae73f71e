import { describe, expect, it } from 'vitest';
import { anItem } from '../helpers/builders';
import { problemsOf } from '../helpers/problems';
import {
  MAX_MASK_PIXELS,
  parseAnnotation,
  parseDataset,
  parseItem,
  parseJson,
  parseProject,
  parseTask,
} from '../../shared/model/validate';

const annotation = {
  dataset_item_index: 3,
  frame_index: 0,
  type: 'Poly',
  class_id: 2,
  instance_id: 1,
  box: null,
  poly: [
    [
      { x: 1, y: 2 },
      { x: 5, y: 2 },
      { x: 5, y: 7 },
      { x: 1, y: 7 },
    ],
  ],
  is_open: false,
  annotators: 'a@b',
  meta_data: { occluded: 1 },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
};

describe('store validation', () => {
  it('names file, line and field of a non-finite coordinate', () => {
    const bad = structuredClone(annotation) as { poly: Array<Array<{ x: unknown; y: unknown }>> };
    bad.poly[0]![3]!.x = 'NaN';
    expect(problemsOf(() => parseAnnotation(bad, 'annotations/d1.jsonl line 42'))).toEqual([
      'annotations/d1.jsonl line 42: poly[0][3].x is not a finite number',
    ]);
  });

  it('lists every problem of an annotation, an unknown class id among them', () => {
    const bad = {
      ...annotation,
      type: 'Circle',
      class_id: 9,
      created_at: 'yesterday',
      box: { x: 1, y: 2, w: Infinity, h: 3 },
    };
    expect(
      problemsOf(() => parseAnnotation(bad, 'annotations/d1.jsonl line 7', new Set([1, 2]))),
    ).toEqual([
      'annotations/d1.jsonl line 7: type is "Circle", not one of Tag, Box, Poly, Mask',
      'annotations/d1.jsonl line 7: class_id 9 is not a class of the task',
      'annotations/d1.jsonl line 7: box.w is not a finite number',
      'annotations/d1.jsonl line 7: created_at is not an ISO-8601 date',
    ]);
  });

  it('accepts a valid annotation unchanged', () => {
    expect(parseAnnotation(annotation, 'x', new Set([2]))).toEqual(annotation);
  });

  it('reads a box with its orientation, null when absent, and names a bad one', () => {
    const box = (value: unknown) => ({ ...annotation, type: 'Box', poly: null, box: value });
    expect(parseAnnotation(box({ x: 1, y: 2, w: 3, h: 4, orientation: 0.5 }), 'x').box).toEqual({
      x: 1,
      y: 2,
      w: 3,
      h: 4,
      orientation: 0.5,
    });
    expect(parseAnnotation(box({ x: 1, y: 2, w: 3, h: 4 }), 'x').box!.orientation).toBeNull();
    expect(
      problemsOf(() => parseAnnotation(box({ x: 1, y: 2, w: 3, orientation: 'up' }), 'b line 1')),
    ).toEqual([
      'b line 1: box.orientation is not a finite number or null',
      'b line 1: box.h is missing',
    ]);
  });

  it('names each ring of a polygon that is no list of points', () => {
    expect(
      problemsOf(() =>
        parseAnnotation({ ...annotation, poly: [annotation.poly[0], { x: 1 }] }, 'p line 2'),
      ),
    ).toEqual(['p line 2: poly[1] is not an array of points']);
  });

  it('requires the geometry of its type', () => {
    expect(
      problemsOf(() =>
        parseAnnotation({ ...annotation, type: 'Box', poly: null }, 'a.jsonl line 1'),
      ),
    ).toEqual(['a.jsonl line 1: box is missing for a Box']);
  });

  it('accepts a Mask with COCO RLE counts covering its size, and the crowd flag', () => {
    const mask = {
      ...annotation,
      type: 'Mask',
      poly: null,
      mask: { size: [2, 3], counts: [1, 2, 3] },
      is_crowd: true,
    };
    expect(parseAnnotation(mask, 'x')).toEqual(mask);
  });

  it('names what is wrong with a Mask', () => {
    const mask = (value: unknown) =>
      problemsOf(() =>
        parseAnnotation({ ...annotation, type: 'Mask', poly: null, mask: value }, 'm.jsonl line 3'),
      );
    expect(mask(undefined)).toEqual(['m.jsonl line 3: mask is missing for a Mask']);
    expect(mask({ size: [2, 3], counts: [1, 2] })).toEqual([
      'm.jsonl line 3: mask.counts cover 3 pixels, not the 2x3 = 6 of its size',
    ]);
    expect(mask({ size: [0, 3], counts: [-1, 'a'] })).toEqual([
      'm.jsonl line 3: mask.size is not [height, width] of positive integers',
      'm.jsonl line 3: mask.counts is not a list of non-negative integers',
    ]);
    expect(
      problemsOf(() => parseAnnotation({ ...annotation, is_crowd: 1 }, 'm.jsonl line 4')),
    ).toEqual(['m.jsonl line 4: is_crowd is not true or false']);
  });

  it('names the line of malformed JSON', () => {
    expect(
      problemsOf(() => parseJson('{"index": 1,', 'datasets/d1/items.jsonl line 3'))[0],
    ).toMatch(/^datasets\/d1\/items\.jsonl line 3: malformed JSON/);
  });

  it('validates dataset items', () => {
    const item = {
      index: 0,
      name: 'a.png',
      media_key: 'a.png',
      width: 0,
      height: 10.5,
      num_frames: 1,
      meta_data: [],
      created_at: '2026-01-01T00:00:00Z',
    };
    expect(problemsOf(() => parseItem(item, 'datasets/d1/items.jsonl line 1'))).toEqual([
      'datasets/d1/items.jsonl line 1: width is not an integer >= 1',
      'datasets/d1/items.jsonl line 1: height is not an integer >= 1',
      'datasets/d1/items.jsonl line 1: meta_data is not an object',
    ]);
  });

  it('validates tasks: type, repeated class ids, unknown parents', () => {
    const task = {
      id: 't1',
      name: 'T',
      type: 'detection',
      media: 'image',
      dataset_ids: ['d1'],
      classes: [
        { id: 1, name: 'a', parent_id: null },
        { id: 1, name: 'b', parent_id: 7 },
      ],
      rotation_enabled: false,
    };
    expect(problemsOf(() => parseTask(task, 'tasks/t1/task.json'))).toEqual([
      'tasks/t1/task.json: classes[1].id repeats class id 1',
      'tasks/t1/task.json: classes[1].parent_id names unknown class 7',
      'tasks/t1/task.json: type is "detection", not one of classification, object_detection, semantic_segmentation, instance_segmentation',
    ]);
  });

  it('validates datasets and projects', () => {
    expect(
      problemsOf(() =>
        parseDataset({ id: 'd1', name: '', media: 'audio' }, 'datasets/d1/dataset.json'),
      ),
    ).toEqual([
      'datasets/d1/dataset.json: name is empty',
      'datasets/d1/dataset.json: media is "audio", not one of image, video',
    ]);
    expect(
      problemsOf(() => parseProject({ name: 'P', created_at: '2026-01-01' }, 'project.json')),
    ).toEqual(['project.json: id is missing']);
  });
});

describe('store timestamps, read as dateRange is (ISO-8601)', () => {
  const item = anItem({ width: 640, height: 480 });
  const where = 'datasets/d1/items.jsonl line 3';

  it.each([
    '1',
    'March 7, 2026',
    '2026-02-30T00:00:00Z',
    '2026-03-07T24:00:00Z',
    '2026-03-07T09:30:00',
  ])('fails an item whose created_at is %j, naming file, line and field', (createdAt) => {
    expect(problemsOf(() => parseItem({ ...item, created_at: createdAt }, where))).toEqual([
      `${where}: created_at is not an ISO-8601 date`,
    ]);
  });

  it.each(['2024-02-29T00:00:00Z', '2026-03-07T09:30:00.123+01:00', '2026-03-07'])(
    'reads an item whose created_at is %j',
    (createdAt) => {
      expect(parseItem({ ...item, created_at: createdAt }, where).created_at).toBe(createdAt);
    },
  );
});

describe('store ids and dimensions (DESIGN §15, §16)', () => {
  const item = anItem({ width: 640, height: 480 });
  const where = 'datasets/d1/items.jsonl line 7';

  it.each([
    ['../../../../other/datasets/d/media/x.png', 'has a segment that contains ".."'],
    ['/etc/passwd', 'starts with "/" (it must be relative to media/)'],
    ['a\\b.png', 'has a segment that contains "\\"'],
    ['a//b.png', 'has an empty path segment ("//")'],
    ['a\u0000.png', 'has a segment that contains the control or invisible character U+0000'],
    ['a\u0085.png', 'has a segment that contains the control or invisible character U+0085'],
    ['a\u202e.png', 'has a segment that contains the control or invisible character U+202E'],
  ])('fails an item whose media_key is %j, naming file, line and field', (mediaKey, problem) => {
    expect(problemsOf(() => parseItem({ ...item, media_key: mediaKey }, where))).toEqual([
      `${where}: media_key ${JSON.stringify(mediaKey)} ${problem}`,
    ]);
  });

  it('accepts media keys in subfolders, and a video folder with its trailing slash', () => {
    expect(parseItem({ ...item, media_key: 'day/a.png' }, where).media_key).toBe('day/a.png');
    expect(parseItem({ ...item, media_key: 'clip-1/' }, where).media_key).toBe('clip-1/');
  });

  it('fails task, dataset and project ids, and a task dataset id, that are not safe segments', () => {
    const task = {
      id: '../../other/tasks/t',
      name: 'T',
      type: 'object_detection',
      media: 'image',
      dataset_ids: ['d1', '../../../other/datasets/d', 'x\u0000'],
      classes: [{ id: 1, name: 'a', parent_id: null }],
    };
    expect(problemsOf(() => parseTask(task, 'tasks/t1/task.json'))).toEqual([
      'tasks/t1/task.json: dataset_ids[1] "../../../other/datasets/d" contains ".."',
      'tasks/t1/task.json: dataset_ids[2] "x\\u0000" contains the control or invisible character U+0000',
      'tasks/t1/task.json: id "../../other/tasks/t" contains ".."',
    ]);
    expect(
      problemsOf(() =>
        parseDataset({ id: 'a/b', name: 'D', media: 'image' }, 'datasets/d1/dataset.json'),
      ),
    ).toEqual(['datasets/d1/dataset.json: id "a/b" contains "/"']);
    expect(
      problemsOf(() =>
        parseProject({ id: 'p\\q', name: 'P', created_at: '2026-01-01' }, 'project.json'),
      ),
    ).toEqual(['project.json: id "p\\\\q" contains "\\"']);
  });

  it('fails absurd image sides, naming file, line and field', () => {
    expect(problemsOf(() => parseItem({ ...item, width: 5e9, height: 65_536 }, where))).toEqual([
      `${where}: width is 5000000000, more than the 65535 pixels an image may have`,
      `${where}: height is 65536, more than the 65535 pixels an image may have`,
    ]);
    expect(parseItem({ ...item, width: 65_535, height: 1 }, where).width).toBe(65_535);
  });

  it('caps the pixels of an image only where a mask is made of it', () => {
    const large = { ...item, width: 20_000, height: 10_000 };
    expect(parseItem(large, where).width).toBe(20_000);
    expect(problemsOf(() => parseItem(large, where, { maxPixels: MAX_MASK_PIXELS }))).toEqual([
      `${where}: width x height is 20000 x 10000: more than the 100,000,000 pixels a mask may have`,
    ]);
    expect(
      parseItem({ ...item, width: 10_000, height: 10_000 }, where, { maxPixels: MAX_MASK_PIXELS })
        .height,
    ).toBe(10_000);
  });
});
