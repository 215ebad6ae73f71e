import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { parseAnnotations } from '../../../shared/import/coco-annotations';
import { parseCategories } from '../../../shared/import/coco-categories';
import { Tally, type ImportNotes } from '../../../shared/import/coco-fields';
import { parseImages } from '../../../shared/import/coco-images';
import {
  describeStore,
  parseFile,
  writeStore,
  type ImportedStore,
  type StoreSink,
} from '../../../shared/import/coco';
import type { DatasetItem } from '../../../shared/model/types';
import { anItem, aTask } from '../../helpers/builders';
import { problemsOf } from '../../helpers/problems';

const NOW = '2026-01-01T00:00:00.000Z';

const newNotes = (): ImportNotes => ({ problems: [], tally: new Tally() });

/** A grey PNG of the size given. */
const aPng = (width: number, height: number) =>
  new Uint8Array(PNG.sync.write(new PNG({ width, height }), { colorType: 0, inputColorType: 6 }));

describe('import-coco: parse the file', () => {
  it('names bad ids before it looks at the file', () => {
    expect(
      problemsOf(() => parseFile(null, { projectId: 'a b', taskId: '..' }, new Tally())),
    ).toEqual([
      'project id "a b" contains " " (U+0020), which a Cognito group name project:{id} cannot hold unambiguously',
      'task id ".." contains ".."',
    ]);
  });

  it('lists every missing or malformed list at once', () => {
    expect(problemsOf(() => parseFile([], { projectId: 'p' }, new Tally()))).toEqual([
      'the COCO file is not a JSON object',
    ]);
    expect(
      problemsOf(() =>
        parseFile({ categories: {}, annotations: 'x' }, { projectId: 'p' }, new Tally()),
      ),
    ).toEqual([
      'the COCO file has no "images" list',
      'the COCO file has no "categories" list',
      'the COCO file\'s "annotations" is not a list',
    ]);
  });

  it('gives the lists, no annotations when the file has none, and counts the fields it does not keep', () => {
    const tally = new Tally();
    const lists = parseFile(
      { images: [1], categories: [2], licenses: [{}, {}], info: {}, extra: 'x' },
      { projectId: 'p' },
      tally,
    );
    expect(lists).toEqual({ images: [1], categories: [2], annotations: [] });
    expect(tally.lines()).toEqual([
      'not kept: licenses: 2',
      'not kept: info: 1',
      'not kept: "extra" of the file: 1',
    ]);
  });
});

describe('import-coco: parse categories', () => {
  it('keeps integer ids of 1 and more as class ids, and makes the category a supercategory names the parent', () => {
    const notes = newNotes();
    const parsed = parseCategories(
      [
        { id: 3, name: 'car', supercategory: 'vehicle' },
        { id: 7, name: 'vehicle', supercategory: 'vehicle' },
        { id: 9, name: 'dog', supercategory: 'animal' },
      ],
      notes,
    );
    expect(parsed.classes).toEqual([
      { id: 3, name: 'car', parent_id: 7 },
      // Its own name: no parent, and the supercategory is kept as written.
      { id: 7, name: 'vehicle', parent_id: null, supercategory: 'vehicle' },
      { id: 9, name: 'dog', parent_id: null, supercategory: 'animal' },
    ]);
    expect(parsed.warnings).toEqual([]);
    expect(notes.problems).toEqual([]);
  });

  it('shifts ids that start below 1, and numbers ids that are not all integers by position', () => {
    const shifted = parseCategories(
      [
        { id: -1, name: 'a' },
        { id: 4, name: 'b' },
      ],
      newNotes(),
    );
    expect(shifted.classes.map((c) => c.id)).toEqual([1, 6]);
    expect(shifted.warnings).toEqual([
      'category ids start below 1: every class id is the category id + 2',
    ]);
    const numbered = parseCategories(
      [
        { id: 'b', name: 'b' },
        { id: 2.5, name: 'a' },
      ],
      newNotes(),
    );
    expect(numbered.classes.map((c) => c.id)).toEqual([1, 2]);
    expect([...numbered.classIdOf]).toEqual([
      ['b', 1],
      ['2.5', 2],
    ]);
    expect(numbered.warnings).toEqual([
      'category ids are not all integers: classes are numbered 1.. in file order',
    ]);
  });

  it('finds a category by any spelling of its id', () => {
    const { classIdOf } = parseCategories([{ id: 1, name: 'a' }], newNotes());
    expect(classIdOf.get('1')).toBe(1);
  });

  it('notes every problem: entries that are no objects, missing ids and names, repeated ids', () => {
    const notes = newNotes();
    parseCategories([{ id: 1, name: 'a' }, 'x', { name: 'b' }, { id: 1, name: '' }], notes);
    expect(notes.problems).toEqual([
      'categories[1] is not an object',
      'categories[1].id is missing',
      'categories[2].name is missing',
      'category ids repeat',
    ]);
  });
});

describe('import-coco: parse images', () => {
  const files = new Map([
    ['a.png', aPng(4, 3)],
    ['dir/b.png', aPng(2, 2)],
  ]);
  const readImage = async (name: string) => files.get(name);

  it("makes each image an item at its place in the file, with its file's bytes as its media", async () => {
    const notes = newNotes();
    const parsed = await parseImages(
      [
        'not an image',
        { id: 5, file_name: 'a.png', width: 40, height: 30, attributes: { day: true } },
        { id: '6', file_name: 'dir/b.png', attributes: { coco_id: 'own' } },
      ],
      readImage,
      NOW,
      notes,
    );
    expect(parsed.items).toEqual([
      anItem({
        index: 1,
        name: 'a.png',
        width: 40,
        height: 30,
        num_channels: 1,
        meta_data: { day: true, coco_id: 5 },
        created_at: NOW,
      }),
      // No size in the file: the PNG header's. An attribute named coco_id is kept as it is.
      anItem({
        index: 2,
        name: 'dir/b.png',
        width: 2,
        height: 2,
        num_channels: 1,
        meta_data: { coco_id: 'own' },
        created_at: NOW,
      }),
    ]);
    expect(parsed.media).toEqual([
      { key: 'a.png', bytes: files.get('a.png') },
      { key: 'dir/b.png', bytes: files.get('dir/b.png') },
    ]);
    expect([...parsed.itemOf.keys()]).toEqual(['5', '6']);
    expect(parsed.itemOf.get('6')).toBe(parsed.items[1]);
    expect(notes.problems).toEqual(['images[0] is not an object']);
    expect(notes.tally.lines()).toEqual([
      'images without width and height, read from the image file: 1 (dir/b.png)',
    ]);
  });

  it('notes repeated ids and files, missing files and sizes, and makes no item of them', async () => {
    const notes = newNotes();
    const parsed = await parseImages(
      [
        { id: 1, file_name: 'a.png', width: 4, height: 3 },
        { id: 1, file_name: 'dir/b.png', width: 2, height: 2 },
        { id: 2, file_name: 'a.png', width: 4, height: 3 },
        { id: 3, file_name: 'gone.png', width: 4, height: 3 },
        { id: 4, width: 4, height: 3 },
        { file_name: 'dir/b.png', width: -2, height: 2 },
      ],
      async (name) => (name === 'dir/b.png' ? new Uint8Array([1, 2, 3]) : files.get(name)),
      NOW,
      notes,
    );
    expect(notes.problems).toEqual([
      'images[1].id 1 repeats an earlier image',
      'images[2].file_name a.png repeats',
      'images[3]: image file gone.png is not in the image folder',
      'images[4].file_name is missing',
      'images[5].id is missing',
      'images[5].file_name dir/b.png repeats',
      'images[5] (dir/b.png) has no positive width and height, nor an image header that gives them',
    ]);
    // The import stops at these problems; the images that have a file and a size are items until then.
    expect(parsed.items.map((i) => i.index)).toEqual([0, 1, 2]);
  });
});

describe('import-coco: parse annotations', () => {
  const items = [anItem({ index: 0, width: 10, height: 10 }), anItem({ index: 3 })];
  const itemOf = new Map<string, DatasetItem>([
    ['10', items[0]!],
    ['11', items[1]!],
  ]);
  const classIdOf = new Map([
    ['1', 1],
    ['2', 5],
  ]);
  const parse = (list: unknown[], tally = new Tally()) =>
    parseAnnotations(list, itemOf, classIdOf, NOW, tally);

  it("makes each annotation the store's, numbering instances per item in file order", () => {
    const parsed = parse([
      { id: 1, image_id: 10, category_id: 2, bbox: [1, 2, 3, 4] },
      { id: 2, image_id: 11, category_id: 1, bbox: [0, 0, 1, 1], attributes: { seen: 'yes' } },
      { id: 3, image_id: '10', category_id: '1', bbox: [0, 0, 2, 2], iscrowd: 1 },
    ]);
    expect(
      parsed.annotations.map((a) => [a.dataset_item_index, a.class_id, a.instance_id]),
    ).toEqual([
      [0, 5, 1],
      [3, 1, 1],
      [0, 1, 2],
    ]);
    expect(parsed.annotations[0]).toEqual({
      dataset_item_index: 0,
      frame_index: 0,
      type: 'Box',
      box: { x: 1, y: 2, w: 3, h: 4, orientation: null },
      poly: null,
      class_id: 5,
      instance_id: 1,
      is_open: false,
      annotators: '',
      meta_data: { coco_id: 1 },
      created_at: NOW,
      updated_at: NOW,
    });
    expect(parsed.annotations[1]!.meta_data).toEqual({ seen: 'yes', coco_id: 2 });
    expect(parsed.annotations[2]!.is_crowd).toBe(true);
    expect(parsed.counts).toEqual({ Box: 3, Poly: 0, Mask: 0, Tag: 0 });
    expect(parsed.taskType).toBe('object_detection');
  });

  it('is instance segmentation once one annotation is a polygon or a mask that is no crowd', () => {
    const polygon = { image_id: 10, category_id: 1, segmentation: [[1, 1, 5, 1, 3, 4]] };
    // A 10x10 mask whose first pixel column holds 4 pixels.
    const mask = {
      image_id: 10,
      category_id: 1,
      segmentation: { size: [10, 10], counts: [0, 4, 96] },
    };
    expect(parse([polygon]).taskType).toBe('instance_segmentation');
    expect(parse([mask]).taskType).toBe('instance_segmentation');
    expect(parse([{ ...mask, iscrowd: 1 }]).taskType).toBe('object_detection');
    expect(parse([]).taskType).toBe('object_detection');
  });

  it('makes a file of labels alone Tags of a classification task', () => {
    const parsed = parse([
      { image_id: 10, category_id: 1 },
      { image_id: 11, category_id: 2, segmentation: [] },
    ]);
    expect(parsed.annotations.map((a) => [a.type, a.box, a.poly])).toEqual([
      ['Tag', null, null],
      ['Tag', null, null],
    ]);
    expect(parsed.taskType).toBe('classification');
  });

  it('skips and counts annotations of no image or category of the file, and labels among shapes', () => {
    const tally = new Tally();
    const parsed = parse(
      [
        7,
        { image_id: 99, category_id: 1, bbox: [0, 0, 1, 1] },
        { image_id: 10, category_id: 3, bbox: [0, 0, 1, 1] },
        { image_id: 10, bbox: [0, 0, 1, 1] },
        { image_id: 10, category_id: 1 },
        { image_id: 10, category_id: 1, bbox: [0, 0, 1, 1] },
      ],
      tally,
    );
    expect(parsed.annotations).toHaveLength(1);
    expect(tally.lines()).toEqual([
      'skipped: annotations that are not objects: 1 (annotations[0])',
      'skipped: annotations whose image_id is not an image of the file: 1 (annotations[1])',
      'skipped: annotations whose category_id is not a category of the file: 1 (annotations[2])',
      'skipped: annotations without a category_id: 1 (annotations[3])',
      'skipped: annotations without geometry in a file of boxes or polygons: 1 (annotations[4])',
    ]);
  });
});

describe('import-coco: describe and write the store', () => {
  const classes = aTask().classes;

  it('names the project, dataset and task after their ids unless the options name them', () => {
    const plain = describeStore({ projectId: 'p' }, classes, 'object_detection', NOW);
    expect(plain).toEqual({
      project: { id: 'p', name: 'p', created_at: NOW },
      dataset: { id: 'images', name: 'images', media: 'image', item_metadata_definitions: [] },
      task: aTask({
        id: 'labels',
        name: 'labels',
        dataset_ids: ['images'],
        classes,
      }),
    });
    const named = describeStore(
      {
        projectId: 'p',
        projectName: 'Project',
        datasetId: 'd',
        datasetName: 'Dataset',
        taskId: 't',
        taskName: 'Task',
      },
      classes,
      'classification',
      NOW,
    );
    expect([named.project.name, named.dataset.name, named.task.name]).toEqual([
      'Project',
      'Dataset',
      'Task',
    ]);
    expect(named.task).toMatchObject({ id: 't', type: 'classification', dataset_ids: ['d'] });
  });

  it('writes the media first, at most 8 at once, then items, annotations, dataset, task and the project last', async () => {
    const calls: string[] = [];
    let writing = 0;
    let mostAtOnce = 0;
    const sink: StoreSink = {
      media: async (datasetId, key, _, contentType) => {
        writing++;
        mostAtOnce = Math.max(mostAtOnce, writing);
        await new Promise((resolve) => setTimeout(resolve, 1));
        writing--;
        calls.push(`media ${datasetId}/${key} ${contentType}`);
      },
      items: async (datasetId, items) => void calls.push(`items ${datasetId} ${[...items].length}`),
      annotations: async (taskId, datasetId, annotations) =>
        void calls.push(`annotations ${taskId} ${datasetId} ${[...annotations].length}`),
      dataset: async (dataset) => void calls.push(`dataset ${dataset.id}`),
      task: async (task) => void calls.push(`task ${task.id}`),
      project: async (project) => void calls.push(`project ${project.id}`),
    };
    const media = Array.from({ length: 20 }, (_, i) => ({
      key: i === 0 ? 'first.JPG' : `${i}.png`,
      bytes: new Uint8Array([i]),
    }));
    const store: ImportedStore = {
      ...describeStore({ projectId: 'p' }, classes, 'object_detection', NOW),
      items: [anItem()],
      annotations: [],
      media,
    };
    await writeStore(sink, store);
    expect(mostAtOnce).toBe(8);
    expect(calls.slice(0, 20).sort()).toEqual(
      media
        .map((m) => `media images/${m.key} ${m.key === 'first.JPG' ? 'image/jpeg' : 'image/png'}`)
        .sort(),
    );
    expect(calls.slice(20)).toEqual([
      'items images 1',
      'annotations labels images 0',
      'dataset images',
      'task labels',
      'project p',
    ]);
  });
});
