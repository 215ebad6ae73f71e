import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { ValidationError } from '../../../shared/errors';
import { imageFormat, importCoco, type StoreSink } from '../../../shared/import/coco';
import type { Annotation, DatasetItem, Task } from '../../../shared/model/types';
import { StoreWriter } from '../../../shared/store/writer';
import { runImportCoco } from '../../../cli/import-coco';

function memorySink() {
  const written: {
    task?: Task;
    items: DatasetItem[];
    annotations: Annotation[];
    media: string[];
    order: string[];
  } = { items: [], annotations: [], media: [], order: [] };
  const sink: StoreSink = {
    project: async () => void written.order.push('project'),
    dataset: async () => void written.order.push('dataset'),
    task: async (task) => {
      written.task = task;
      written.order.push('task');
    },
    items: async (_, items) => {
      written.items = [...items];
      written.order.push('items');
    },
    annotations: async (_, __, annotations) => {
      written.annotations = [...annotations];
      written.order.push('annotations');
    },
    media: async (_, key) => void written.media.push(key),
  };
  return { sink, written };
}

const png = (colorType: 0 | 2 | 6) =>
  new Uint8Array(
    PNG.sync.write(Object.assign(new PNG({ width: 2, height: 2 }), {}), {
      colorType,
      inputColorType: 6,
    }),
  );
const images = new Map([
  ['a.png', png(2)],
  ['sub/b.png', png(0)],
]);
const read = async (name: string) => images.get(name);

const coco = {
  images: [
    { id: 10, file_name: 'a.png', width: 100, height: 50 },
    { id: 11, file_name: 'sub/b.png', width: 40, height: 30 },
  ],
  categories: [
    { id: 0, name: 'vehicle', supercategory: '' },
    { id: 1, name: 'car', supercategory: 'vehicle' },
    { id: 2, name: 'person', supercategory: 'animal' },
  ],
  annotations: [
    // A box written as its four corners, as detection files do.
    {
      id: 1,
      image_id: 10,
      category_id: 1,
      segmentation: [[10, 5, 30, 5, 30, 25, 10, 25]],
      bbox: [10, 5, 20, 20],
    },
    // A two-part polygon.
    {
      id: 2,
      image_id: 10,
      category_id: 2,
      segmentation: [
        [1, 1, 5, 1, 3, 4],
        [6, 6, 9, 6, 9, 9],
      ],
      bbox: [1, 1, 8, 8],
    },
    // RLE: only its bbox is read.
    {
      id: 3,
      image_id: 11,
      category_id: 0,
      segmentation: { counts: 'abc', size: [30, 40] },
      bbox: [2, 3, 4, 5],
      iscrowd: 1,
    },
  ],
};

describe('import-coco', () => {
  it('turns categories, images and annotations into a store', async () => {
    const { sink, written } = memorySink();
    const result = await importCoco(coco, read, sink, {
      projectId: 'p',
      now: new Date('2026-01-01T00:00:00Z'),
    });
    // Ids shifted to start at 1; a supercategory naming a category is its parent.
    expect(written.task!.classes).toEqual([
      { id: 1, name: 'vehicle', parent_id: null },
      { id: 2, name: 'car', parent_id: 1 },
      { id: 3, name: 'person', parent_id: null },
    ]);
    expect(result.warnings[0]).toMatch(/category id \+ 1/);
    expect(written.task!.type).toBe('instance_segmentation');
    expect(
      written.items.map((i) => [i.index, i.name, i.media_key, i.width, i.num_channels]),
    ).toEqual([
      [0, 'a.png', 'a.png', 100, 3],
      [1, 'sub/b.png', 'sub/b.png', 40, 1],
    ]);
    expect(
      written.annotations.map((a) => [a.dataset_item_index, a.type, a.class_id, a.instance_id]),
    ).toEqual([
      [0, 'Box', 2, 1],
      [0, 'Poly', 3, 2],
      [1, 'Box', 1, 1],
    ]);
    expect(written.annotations[0]!.box).toEqual({ x: 10, y: 5, w: 20, h: 20, orientation: null });
    expect(written.annotations[1]!.poly).toHaveLength(2);
    expect(written.annotations[2]!.box).toEqual({ x: 2, y: 3, w: 4, h: 5, orientation: null });
    // Media first, the project last: a readable store is a complete one.
    expect(written.media.sort()).toEqual(['a.png', 'sub/b.png']);
    expect(written.order.at(-1)).toBe('project');
  });

  it('is object detection when every annotation is a box', async () => {
    const { sink, written } = memorySink();
    await importCoco(
      { ...coco, annotations: [coco.annotations[0], coco.annotations[2]] },
      read,
      sink,
      {
        projectId: 'p',
      },
    );
    expect(written.task!.type).toBe('object_detection');
  });

  it('lists every problem and writes nothing', async () => {
    const { sink, written } = memorySink();
    const error = await importCoco(
      {
        images: [{ id: 10, file_name: 'a.png', width: 0, height: 50 }],
        categories: [{ id: 1, name: 'car' }],
        annotations: [
          { image_id: 10, category_id: 7, bbox: [0, 0, 1, 1] },
          { image_id: 10, category_id: 1, segmentation: [] },
        ],
      },
      read,
      sink,
      { projectId: 'p' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      'images[0] (a.png) has no positive width and height',
      'annotations[0]: category_id 7 is not a category of the file',
      'annotations[1] has neither a polygon segmentation nor a bbox of 4 numbers',
    ]);
    expect(written.order).toEqual([]);
    expect(written.media).toEqual([]);
  });

  it.each([
    ['a comma', { projectId: 'a,admin' }, 'project id "a,admin" contains ","'],
    ['a quote', { projectId: '"admin"' }, 'project id "\\"admin\\"" contains "\\""'],
    ['a bracket', { projectId: '[admin]' }, 'project id "[admin]" contains "["'],
    ['a space', { projectId: 'my project' }, 'project id "my project" contains " "'],
    ['a parent segment', { projectId: '..' }, 'project id ".." contains ".."'],
    [
      'a slash in the dataset id',
      { projectId: 'p', datasetId: 'a/b' },
      'dataset id "a/b" contains "/"',
    ],
    [
      'NUL in the task id',
      { projectId: 'p', taskId: 't\u0000' },
      'task id "t\\u0000" contains the control',
    ],
  ])('refuses ids with %s before reading the file', async (_, ids, problem) => {
    const { sink, written } = memorySink();
    const error = (await importCoco(coco, read, sink, ids).catch(
      (e: unknown) => e,
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.details).toEqual([expect.stringContaining(problem)]);
    expect(written.order).toEqual([]);
  });

  it('refuses, for the sample and every other writer, a project id that cannot be a group name', () => {
    for (const id of ['a,admin', '"admin"', '[x]', 'a b', 'a/b', '..', 'nul\u0000'])
      expect(() => new StoreWriter({} as S3Client, 'bucket', id), id).toThrow(
        expect.objectContaining({ name: 'ValidationError' }) as Error,
      );
    expect(new StoreWriter({} as S3Client, 'bucket', 'sample').projectId).toBe('sample');
  });

  it('the import-coco command refuses such a project id before it looks for a server or a file', async () => {
    await expect(
      runImportCoco({ projectId: 'a,admin', images: '/nowhere', coco: '/nowhere.json' }),
    ).rejects.toThrow('project id "a,admin" contains ","');
  });

  it('refuses file names that are no media key, and absurd sizes', async () => {
    const { sink, written } = memorySink();
    const error = (await importCoco(
      {
        images: [
          { id: 1, file_name: 'a\\b.png', width: 10, height: 10 },
          { id: 2, file_name: '/etc/x.png', width: 10, height: 10 },
          { id: 3, file_name: 'a\u202e.png', width: 10, height: 10 },
          { id: 4, file_name: 'a.png', width: 5e9, height: 10 },
        ],
        categories: [{ id: 1, name: 'car' }],
        annotations: [],
      },
      read,
      sink,
      { projectId: 'p' },
    ).catch((e: unknown) => e)) as ValidationError;
    expect(error.details).toEqual([
      'images[0].file_name "a\\\\b.png" is not a relative path inside the image folder: it has a segment that contains "\\"',
      'images[1].file_name "/etc/x.png" is not a relative path inside the image folder: it starts with "/" (it must be relative to media/)',
      'images[2].file_name "a\u202e.png" is not a relative path inside the image folder: it has a segment that contains the control or invisible character U+202E',
      'images[3] (a.png) is 5000000000 x 10: an image may have at most 65535 pixels a side',
    ]);
    expect(written.order).toEqual([]);
  });

  it('reads channels and bit depth from PNG and JPEG headers', () => {
    expect(imageFormat(png(6))).toEqual({ channels: 4, bits: 8 });
    expect(imageFormat(png(0))).toEqual({ channels: 1, bits: 8 });
    // SOI, then an SOF0 frame: 8-bit precision, 2x2, 1 component.
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x02, 0x01, 0x01, 0x11, 0x00,
    ]);
    expect(imageFormat(jpeg)).toEqual({ channels: 1, bits: 8 });
  });
});
