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
    // RLE whose counts string is broken: its bbox is read, with a warning.
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
    // Ids shifted to start at 1; a supercategory is kept, and one naming a category is its parent.
    expect(written.task!.classes).toEqual([
      { id: 1, name: 'vehicle', parent_id: null },
      { id: 2, name: 'car', parent_id: 1 },
      { id: 3, name: 'person', parent_id: null, supercategory: 'animal' },
    ]);
    expect(result.warnings[0]).toMatch(/category id \+ 1/);
    expect(written.task!.type).toBe('instance_segmentation');
    expect(
      written.items.map((i) => [i.index, i.name, i.media_key, i.width, i.num_channels]),
    ).toEqual([
      [0, 'a.png', 'a.png', 100, 3],
      // The name and the media key keep the folder.
      [1, 'sub/b.png', 'sub/b.png', 40, 1],
    ]);
    expect(written.items.map((i) => i.meta_data)).toEqual([{ coco_id: 10 }, { coco_id: 11 }]);
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
    expect(written.annotations[2]!.is_crowd).toBe(true);
    expect(written.annotations.map((a) => a.meta_data.coco_id)).toEqual([1, 2, 3]);
    expect(result.warnings).toContain(
      'RLE whose counts string is not one pycocotools writes, imported as its bbox: 1 (annotations[2])',
    );
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
        images: [
          { id: 10, file_name: 'a.png', width: 0, height: 50 },
          { id: 10, file_name: '../x.png' },
          { id: 12, file_name: 'missing.png' },
          'not an image',
        ],
        categories: [{ id: 1, name: 'car' }, { id: 1 }],
        annotations: [{ image_id: 10, category_id: 1, bbox: [0, 0, 1, 1] }],
      },
      read,
      sink,
      { projectId: 'p' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      'categories[1].name is missing',
      'category ids repeat',
      'images[1].id 10 repeats an earlier image',
      'images[1].file_name "../x.png" is not a relative path inside the image folder: it has a segment that contains ".."',
      'images[2]: image file missing.png is not in the image folder',
      'images[3] is not an object',
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
    expect(imageFormat(png(6))).toEqual({ channels: 4, bits: 8, width: 2, height: 2 });
    expect(imageFormat(png(0))).toEqual({ channels: 1, bits: 8, width: 2, height: 2 });
    // SOI, then an SOF0 frame: 8-bit precision, 2x2, 1 component.
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x02, 0x01, 0x01, 0x11, 0x00,
    ]);
    expect(imageFormat(jpeg)).toEqual({ channels: 1, bits: 8, width: 2, height: 2 });
  });
});

describe('import-coco on odd but valid real files', () => {
  const sized = (width: number, height: number) =>
    new Uint8Array(PNG.sync.write(new PNG({ width, height }), { colorType: 0, inputColorType: 6 }));
  const files = new Map([
    ['m.png', sized(25, 25)],
    ['dir/ünï cödé.png', sized(8, 6)],
    ['n.png', sized(4, 4)],
  ]);
  const readFile = async (name: string) => files.get(name);
  const run = async (value: unknown) => {
    const { sink, written } = memorySink();
    const result = await importCoco(value, readFile, sink, { projectId: 'p' });
    return { result, written };
  };

  it('imports compressed and uncompressed RLE exactly, with iscrowd kept', async () => {
    // pycocotools' encode of a 25x25 mask whose 5x5 top-left square is set.
    const square = [0, 5, 20, 5, 20, 5, 20, 5, 20, 5, 520];
    const { result, written } = await run({
      images: [{ id: 1, file_name: 'm.png', width: 25, height: 25 }],
      categories: [{ id: 1, name: 'crowd' }],
      annotations: [
        {
          id: 7,
          image_id: 1,
          category_id: 1,
          iscrowd: 1,
          segmentation: { size: [25, 25], counts: '05d00000000d?' },
        },
        {
          id: 8,
          image_id: 1,
          category_id: 1,
          iscrowd: 0,
          segmentation: { size: [25, 25], counts: square },
        },
      ],
    });
    expect(written.annotations.map((a) => [a.type, a.mask?.counts, a.is_crowd ?? false])).toEqual([
      ['Mask', square, true],
      ['Mask', square, false],
    ]);
    expect(written.annotations[0]!.mask!.size).toEqual([25, 25]);
    expect(result.masks).toBe(2);
    expect(written.task!.type).toBe('instance_segmentation');
  });

  it('warns once per kind of field it does not keep, with a count', async () => {
    const { result } = await run({
      info: { description: 'x' },
      licenses: [{ id: 1 }, { id: 2 }, { id: 3 }],
      images: [{ id: 1, file_name: 'n.png', width: 4, height: 4, license: 1, coco_url: 'u' }],
      categories: [{ id: 1, name: 'person', keypoints: ['nose'], skeleton: [] }],
      annotations: [
        {
          id: 1,
          image_id: 1,
          category_id: 1,
          bbox: [0, 0, 2, 2],
          keypoints: [1, 1, 2],
          num_keypoints: 1,
        },
        {
          id: 2,
          image_id: 1,
          category_id: 1,
          bbox: [1, 1, 2, 2],
          keypoints: [1, 1, 2],
          num_keypoints: 1,
          attributes: { a: 1, b: { nested: true } },
        },
        { id: 3, image_id: 1, caption: 'a person' },
        { id: 4, image_id: 1, segments_info: [{ id: 1 }], file_name: 'n.png' },
      ],
    });
    expect(result.warnings).toEqual([
      'not kept: info: 1',
      'not kept: licenses: 3',
      'not kept: keypoint names of categories: 1',
      'not kept: keypoint skeletons of categories: 1',
      'not kept: "license" of images: 1',
      'not kept: "coco_url" of images: 1',
      'not kept: keypoints: 2',
      'not kept: num_keypoints: 2',
      'not kept: captions: 1',
      'skipped: annotations without a category_id: 2 (annotations[2], annotations[3])',
      'not kept: panoptic segments: 1',
      'not kept: "file_name" of annotations: 1',
      'not kept: attribute values that are objects: 1 (annotations[1])',
    ]);
  });

  it('reads ids of any spelling, sizes from the image header, unicode paths, bbox-only annotations', async () => {
    const { result, written } = await run({
      images: [
        { id: '1', file_name: 'dir/ünï cödé.png' },
        { id: 2.5, file_name: 'n.png', width: 4, height: 4 },
      ],
      categories: [{ id: 'person', name: 'person', supercategory: 'human' }],
      annotations: [
        { id: 1, image_id: 1, category_id: 'person', bbox: [1, 1, 2, 2], segmentation: [] },
        { id: 2, image_id: 2.5, category_id: 'person', bbox: [0, 0, 1, 1] },
        { id: 3, image_id: 99, category_id: 'person', bbox: [0, 0, 1, 1] },
        { id: 4, image_id: 1, category_id: 'car', bbox: [0, 0, 1, 1] },
        { id: 5, image_id: 1, category_id: 'person' },
      ],
    });
    expect(
      written.items.map((i) => [i.name, i.media_key, i.width, i.height, i.meta_data.coco_id]),
    ).toEqual([
      ['dir/ünï cödé.png', 'dir/ünï cödé.png', 8, 6, '1'],
      ['n.png', 'n.png', 4, 4, 2.5],
    ]);
    expect(written.task!.classes).toEqual([
      { id: 1, name: 'person', parent_id: null, supercategory: 'human' },
    ]);
    expect(written.annotations.map((a) => [a.dataset_item_index, a.type])).toEqual([
      [0, 'Box'],
      [1, 'Box'],
    ]);
    expect(result.warnings).toEqual([
      'category ids are not all integers: classes are numbered 1.. in file order',
      'images without width and height, read from the image file: 1 (dir/ünï cödé.png)',
      'skipped: annotations whose image_id is not an image of the file: 1 (annotations[2])',
      'skipped: annotations whose category_id is not a category of the file: 1 (annotations[3])',
      'skipped: annotations without geometry in a file of boxes or polygons: 1 (annotations[4])',
    ]);
  });

  it('finds images named by Windows or absolute paths under the longest tail the folder holds', async () => {
    const { result, written } = await run({
      images: [
        { id: 1, file_name: 'C:\\Users\\me\\data\\dir\\ünï cödé.png' },
        { id: 2, file_name: '/home/me/coco/n.png' },
        { id: 3, file_name: 'JPEGImages/m.png' },
      ],
      categories: [{ id: 1, name: 'x' }],
      annotations: [],
    });
    expect(written.items.map((i) => i.name)).toEqual(['dir/ünï cödé.png', 'n.png', 'm.png']);
    expect(result.warnings).toEqual([
      'file names found under another path of the image folder: 3 (C:\\Users\\me\\data\\dir\\ünï cödé.png as dir/ünï cödé.png, /home/me/coco/n.png as n.png, JPEGImages/m.png as m.png)',
      'images without width and height, read from the image file: 3 (dir/ünï cödé.png, n.png, m.png)',
    ]);
  });

  it('makes a file of labels alone a classification task of Tags', async () => {
    const { result, written } = await run({
      images: [{ id: 1, file_name: 'n.png', width: 4, height: 4 }],
      categories: [
        { id: 1, name: 'indoor' },
        { id: 2, name: 'night' },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 1 },
        { id: 2, image_id: 1, category_id: 2, segmentation: [] },
      ],
    });
    expect(written.task!.type).toBe('classification');
    expect(written.annotations.map((a) => [a.type, a.class_id])).toEqual([
      ['Tag', 1],
      ['Tag', 2],
    ]);
    expect(result.tags).toBe(2);
    expect(result.warnings).toEqual([]);
  });

  it('never crashes on a file whose lists hold the wrong things', async () => {
    for (const value of [
      null,
      [],
      { images: {}, categories: [] },
      { images: [], categories: [null] },
    ]) {
      const error = await run(value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
    }
    const { result } = await run({ images: [], categories: [], annotations: [null, 3] });
    expect(result.warnings).toEqual([
      'skipped: annotations that are not objects: 2 (annotations[0], annotations[1])',
    ]);
  });
});
