import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { readArchive, runExport } from '../../local/run-export';
import { runImportCoco } from '../../cli/import-coco';
import { PNG } from 'pngjs';
import { allowedFormats } from '../../shared/formats/index';
import { boxCorners } from '../../shared/geometry';
import { decodeRleString, encodeRleString, rleFromBitmap } from '../../shared/masks/rle';
import type { Annotation } from '../../shared/model/types';
import { StoreReader } from '../../shared/store/reader';
import { startTestStack, type TestStack } from '../helpers/local';
import { openZip } from '../helpers/zip';

const run = promisify(execFile);
let stack: TestStack;
let directory: string;

beforeAll(async () => {
  stack = await startTestStack();
  directory = mkdtempSync(join(tmpdir(), 'annotation-export-import-'));
});

afterAll(async () => {
  await stack?.dispose();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** A coco export of one sample dataset, unpacked: its images folder and its coco.json. */
async function exportedCoco(projectId: string, taskId: string, datasetId: string, into: string) {
  const record = await runExport(stack, projectId, {
    type: 'both',
    taskId,
    format: 'coco',
    datasetIds: [datasetId],
  });
  expect(record.status, record.error?.message).toBe('SUCCEEDED');
  const zip = await openZip(await readArchive(stack, record));
  const cocoPath = zip.names.find((n) => /^annotations\/[^/]+\/coco\.json$/.test(n))!;
  const text = await zip.text(cocoPath);
  for (const name of zip.names.filter((n) => n.startsWith('datasets/'))) {
    const file = join(into, 'images', name.split('/').slice(2).join('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await zip.bytes(name));
  }
  writeFileSync(join(into, 'coco.json'), text);
  await zip.close();
  return { path: cocoPath, coco: JSON.parse(text) as { info: unknown } & Record<string, unknown> };
}

/** A COCO file apart from its dates and export name (`info`): images, categories, annotations. */
const content = ({ info: _info, ...rest }: { info: unknown } & Record<string, unknown>) => rest;

/**
 * Equal structure, strings and integers; other numbers within COCO's rounding (4 decimals). A
 * rotated box's bbox width comes from its exact corners in the first export and from the corners
 * rounded into the COCO file in the second, so it may move by one unit of the last decimal.
 */
function expectSameCoco(actual: unknown, expected: unknown, path = 'coco'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected) && Number.isInteger(actual)) expect(actual, path).toBe(expected);
    else expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1.0001e-4);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((v, i) => expectSameCoco((actual as unknown[])[i], v, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected))
      expectSameCoco((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

function expectSameGeometry(imported: Annotation, original: Annotation): void {
  expect(imported.class_id).toBe(original.class_id);
  if (original.type === 'Box' && !original.box!.orientation) {
    expect(imported.type).toBe('Box');
    expect(imported.box).toEqual({ ...original.box!, orientation: null });
    return;
  }
  // Rotated boxes and polygons come back as the polygons COCO holds, to its 4 decimals.
  expect(imported.type).toBe('Poly');
  const rings = original.type === 'Box' ? [boxCorners(original.box!)] : original.poly!;
  expect(imported.poly!.length).toBe(rings.length);
  imported.poly!.forEach((ring, r) =>
    ring.forEach((p, i) => {
      expect(p.x).toBeCloseTo(rings[r]![i]!.x, 4);
      expect(p.y).toBeCloseTo(rings[r]![i]!.y, 4);
    }),
  );
}

describe('import-coco', () => {
  it('builds from our own object detection export a store whose coco export is the same', async () => {
    const into = join(directory, 'od');
    const original = await exportedCoco(
      SAMPLE_PROJECT_ID,
      SAMPLE_TASK_IDS.objectDetection,
      'streets',
      into,
    );
    // Through the package's command, as a user runs it.
    const { stdout } = await run(
      process.execPath,
      [
        'bin/annotation-export.js',
        'import-coco',
        '--images',
        join(into, 'images'),
        '--coco',
        join(into, 'coco.json'),
        '--project',
        'imported-od',
        '--dataset-name',
        'Streets: day/night',
        '--task-type',
        'object_detection',
        '--s3-endpoint',
        stack.s3Endpoint,
        '--bucket',
        stack.config.dataBucket,
      ],
      { env: process.env },
    );
    expect(stdout).toMatch(/^imported project imported-od: dataset images \(12 images\)/);

    const again = await exportedCoco('imported-od', 'labels', 'images', join(directory, 'od2'));
    expect(again.path).toBe(original.path);
    expectSameCoco(content(again.coco), content(original.coco));

    // The store itself: the same images, and the same objects in the same order.
    const store = new StoreReader(stack.s3, stack.config.dataBucket, 'imported-od');
    const task = await store.task('labels');
    const sampleTask = stack.sample.tasks.find(
      (t) => t.task.id === SAMPLE_TASK_IDS.objectDetection,
    )!;
    expect(task.type).toBe('object_detection');
    expect(task.classes).toEqual(sampleTask.task.classes);
    const items = [];
    for await (const item of store.items('images')) items.push(item);
    const sampleItems = stack.sample.datasets.find((d) => d.dataset.id === 'streets')!.items;
    expect(items.map((i) => [i.name, i.width, i.height, i.num_channels])).toEqual(
      sampleItems.map((i) => [i.name, i.width, i.height, i.num_channels]),
    );
    const annotations: Annotation[] = [];
    for await (const a of store.annotations(task, 'images')) annotations.push(a);
    const truth = sampleTask.annotations.get('streets')!;
    expect(annotations).toHaveLength(truth.length);
    annotations.forEach((a, n) => expectSameGeometry(a, truth[n]!));
  });

  it('keeps multi-part polygons of instance segmentation, and the coco export is the same', async () => {
    const into = join(directory, 'is');
    const original = await exportedCoco(
      SAMPLE_PROJECT_ID,
      SAMPLE_TASK_IDS.instanceSegmentation,
      'parks',
      into,
    );
    const result = await runImportCoco({
      images: join(into, 'images'),
      coco: join(into, 'coco.json'),
      projectId: 'imported-is',
      datasetId: 'parks',
      datasetName: 'Parks',
      taskId: 'instances',
      s3Endpoint: stack.s3Endpoint,
      bucket: stack.config.dataBucket,
    });
    expect(result.task.type).toBe('instance_segmentation');
    expect(result.polygons).toBeGreaterThan(0);
    const again = await exportedCoco('imported-is', 'instances', 'parks', join(directory, 'is2'));
    expect(content(again.coco)).toEqual(content(original.coco));
  });

  it('lists every problem of a COCO file and writes nothing', async () => {
    const into = join(directory, 'bad');
    mkdirSync(join(into, 'images'), { recursive: true });
    writeFileSync(
      join(into, 'coco.json'),
      JSON.stringify({
        images: [
          { id: 1, file_name: 'missing.png', width: 10, height: 10 },
          { id: 2, file_name: '../escape.png', width: 10, height: 10 },
        ],
        categories: [{ id: 1, name: 'car', supercategory: '' }],
        annotations: [{ id: 1, image_id: 9, category_id: 1, bbox: [0, 0, 1, 1] }],
      }),
    );
    const error = await runImportCoco({
      images: join(into, 'images'),
      coco: join(into, 'coco.json'),
      projectId: 'never-written',
      s3Endpoint: stack.s3Endpoint,
      bucket: stack.config.dataBucket,
    }).then(
      () => ({ details: ['imported'] }),
      (e: unknown) => e as Error & { details: string[] },
    );
    expect(error.details).toEqual([
      'images[0]: image file missing.png is not in the image folder',
      'images[1].file_name "../escape.png" is not a relative path inside the image folder: it has a segment that contains ".."',
    ]);
    await expect(
      new StoreReader(stack.s3, stack.config.dataBucket, 'never-written').project(),
    ).rejects.toThrow(/does not exist/);
  });

  it('keeps what a real file says: RLE crowds, folders, supercategories and source ids', async () => {
    const into = join(directory, 'real');
    const width = 40;
    const height = 30;
    const png = () =>
      PNG.sync.write(new PNG({ width, height }), { colorType: 2, inputColorType: 6 });
    for (const name of ['batch_1/000006.png', 'batch_2/000006.png'])
      mkdirSync(dirname(join(into, 'images', name)), { recursive: true });
    writeFileSync(join(into, 'images', 'batch_1/000006.png'), png());
    writeFileSync(join(into, 'images', 'batch_2/000006.png'), png());
    // A crowd region: rows 2-9 of columns 5-24, less a notch, as brush tools paint them.
    const crowd = new Uint8Array(width * height);
    for (let y = 2; y < 10; y++)
      for (let x = 5; x < 25; x++) crowd[y * width + x] = x < 8 && y < 5 ? 0 : 1;
    const crowdRle = rleFromBitmap(crowd, width, height);
    const blob = new Uint8Array(width * height);
    for (let y = 15; y < 28; y++) for (let x = 20 + (y % 3); x < 35; x++) blob[y * width + x] = 1;
    const blobRle = rleFromBitmap(blob, width, height);
    writeFileSync(
      join(into, 'coco.json'),
      JSON.stringify({
        info: { description: 'trash' },
        licenses: [{ id: 1, name: 'CC BY 4.0', url: '' }],
        images: [
          { id: 6, file_name: 'batch_1/000006.png', width, height, license: 1 },
          { id: 1006, file_name: 'batch_2/000006.png', width, height, license: 1 },
        ],
        categories: [
          { id: 1, name: 'Bottle cap', supercategory: 'Bottle' },
          { id: 2, name: 'Crisp packet', supercategory: 'Plastic bag & wrapper' },
        ],
        annotations: [
          {
            id: 301,
            image_id: 6,
            category_id: 1,
            iscrowd: 0,
            bbox: [1, 12, 10, 10],
            segmentation: [[1, 12, 11, 12, 6, 22]],
          },
          {
            id: 302,
            image_id: 6,
            category_id: 2,
            iscrowd: 1,
            bbox: [5, 2, 20, 8],
            segmentation: { size: [height, width], counts: crowdRle.counts },
          },
          {
            id: 303,
            image_id: 1006,
            category_id: 2,
            iscrowd: 0,
            bbox: [20, 15, 15, 13],
            segmentation: { size: [height, width], counts: encodeRleString(blobRle.counts) },
          },
        ],
      }),
    );
    const result = await runImportCoco({
      images: join(into, 'images'),
      coco: join(into, 'coco.json'),
      projectId: 'imported-real',
      s3Endpoint: stack.s3Endpoint,
      bucket: stack.config.dataBucket,
    });
    expect([result.task.type, result.polygons, result.masks]).toEqual([
      'instance_segmentation',
      1,
      2,
    ]);
    expect(result.warnings).toEqual([
      'not kept: info: 1',
      'not kept: licenses: 1',
      'not kept: "license" of images: 2',
    ]);

    const exported = async (request: Record<string, unknown>) => {
      const record = await runExport(stack, 'imported-real', { taskId: 'labels', ...request });
      expect(record.status, record.error?.message).toBe('SUCCEEDED');
      return openZip(await readArchive(stack, record));
    };
    type Exported = {
      licenses: unknown[];
      images: Array<{ id: number; file_name: string; attributes?: Record<string, unknown> }>;
      categories: Array<{ name: string; supercategory: string }>;
      annotations: Array<{
        image_id: number;
        iscrowd: number;
        area: number;
        bbox: number[];
        segmentation: unknown;
        attributes?: Record<string, unknown>;
      }>;
    };
    const zip = await exported({ type: 'both', format: 'coco_metadata' });
    const coco = JSON.parse(await zip.text('annotations/images/coco.json')) as Exported;
    // The user's image tree, file names and source ids.
    expect(coco.images.map((i) => [i.file_name, i.attributes?.coco_id])).toEqual([
      ['batch_1/000006.png', 6],
      ['batch_2/000006.png', 1006],
    ]);
    expect(zip.names).toEqual(
      expect.arrayContaining([
        'datasets/images/batch_1/000006.png',
        'datasets/images/batch_2/000006.png',
      ]),
    );
    expect(coco.annotations.map((a) => a.attributes?.coco_id)).toEqual([301, 302, 303]);
    expect(coco.categories.map((c) => c.supercategory)).toEqual([
      'Bottle',
      'Plastic bag & wrapper',
    ]);
    expect(coco.licenses.length).toBeGreaterThan(0);
    // The masks come back as RLE that decodes to the same pixels, crowds still crowds.
    const [, crowdOut, blobOut] = coco.annotations;
    expect(crowdOut!.iscrowd).toBe(1);
    expect(blobOut!.iscrowd).toBe(0);
    for (const [out, rle] of [
      [crowdOut!, crowdRle],
      [blobOut!, blobRle],
    ] as const) {
      const segmentation = out.segmentation as { size: number[]; counts: string };
      expect(segmentation.size).toEqual([height, width]);
      expect(decodeRleString(segmentation.counts)).toEqual(rle.counts);
      expect(out.area).toBe(rle.counts.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0));
    }
    expect(crowdOut!.bbox).toEqual([5, 2, 20, 8]);
    await zip.close();

    // Masks paint the crowd region exactly, and the bottle cap beside it.
    const masks = await exported({
      type: 'annotations',
      format: 'masks',
      maskKind: 'aggregated_class',
    });
    const image = PNG.sync.read(
      Buffer.from(await masks.bytes('annotations/images/batch_1/000006.png')),
    );
    for (let i = 0; i < width * height; i++)
      if (crowd[i]) expect(image.data[i * 4], `pixel ${i}`).toBe(2);
    await masks.close();
  });
});

describe('import-coco, then every export, on a file with every oddity of real files', () => {
  it('imports with warnings and every allowed export succeeds', async () => {
    const into = join(directory, 'odd');
    const images = join(into, 'images');
    const write = (name: string, width: number, height: number) => {
      mkdirSync(dirname(join(images, name)), { recursive: true });
      writeFileSync(
        join(images, name),
        PNG.sync.write(new PNG({ width, height }), { colorType: 2, inputColorType: 6 }),
      );
    };
    write('set A/ünï cödé 1.png', 32, 24);
    write('set A/images/b.png', 32, 24);
    write('c.png', 16, 16);
    const square = new Uint8Array(32 * 24);
    for (let y = 4; y < 12; y++) for (let x = 6; x < 20; x++) square[y * 32 + x] = 1;
    const rle = rleFromBitmap(square, 32, 24);
    writeFileSync(
      join(into, 'coco.json'),
      JSON.stringify({
        info: {},
        licenses: [],
        images: [
          { id: 'a', file_name: 'set A/ünï cödé 1.png' },
          { id: 2.0, file_name: 'set A/images/b.png', width: 32, height: 24, flickr_url: '' },
          { id: 3, file_name: 'c.png', width: 16, height: 16 },
        ],
        categories: [
          { id: 1, name: 'bottle: glass', supercategory: 'Bottle', keypoints: [] },
          { id: 2, name: 'a/b "c"', supercategory: 'bottle: glass' },
          { id: 3, name: 'unused' },
        ],
        annotations: [
          {
            id: 1,
            image_id: 'a',
            category_id: 1,
            segmentation: [[1, 1, 10, 1, 10, 8, 1, 8]],
            bbox: [1, 1, 9, 7],
          },
          {
            id: 2,
            image_id: 'a',
            category_id: 2,
            iscrowd: 1,
            segmentation: { size: [24, 32], counts: rle.counts },
          },
          {
            id: 3,
            image_id: 2,
            category_id: 1,
            segmentation: { size: [24, 32], counts: encodeRleString(rle.counts) },
            area: 112,
          },
          {
            id: 4,
            image_id: 2,
            category_id: 2,
            segmentation: [[1, 1, 5, 5, 9, 9]],
            bbox: [1, 1, 8, 8],
          },
          { id: 5, image_id: 2, category_id: 2, segmentation: [], bbox: [3.2, 4, 0.4, 6] },
          {
            id: 6,
            image_id: 3,
            category_id: 1,
            bbox: [10, 10, 20, 20],
            keypoints: [1, 2, 2],
            num_keypoints: 1,
          },
          { id: 7, image_id: 3, category_id: 2, bbox: [40, 40, 5, 5] },
          { id: 8, image_id: 3, category_id: 1, segmentation: { size: [16, 16], counts: [256] } },
          { id: 9, image_id: 3, category_id: 1, segmentation: [[2, 2, 8, 2]], bbox: [2, 2, 6, 0] },
        ],
      }),
    );
    const result = await runImportCoco({
      images,
      coco: join(into, 'coco.json'),
      projectId: 'imported-odd',
      s3Endpoint: stack.s3Endpoint,
      bucket: stack.config.dataBucket,
    });
    expect(result.task.type).toBe('instance_segmentation');
    expect(result.warnings.length).toBeGreaterThan(3);
    const task = result.task;
    const requests: Array<Record<string, unknown>> = [];
    for (const format of allowedFormats(task.type, task.media)) {
      for (const maskKind of format.maskKinds?.[task.type] ?? [undefined]) {
        requests.push({ type: 'both', format: format.id, ...(maskKind ? { maskKind } : {}) });
        requests.push({
          type: 'annotations',
          format: format.id,
          ...(maskKind ? { maskKind } : {}),
          split: {
            subsets: [
              { name: 'train', percent: 50 },
              { name: 'val', percent: 50 },
            ],
          },
        });
      }
    }
    for (const request of requests) {
      const record = await runExport(stack, 'imported-odd', { taskId: 'labels', ...request });
      expect(record.status, `${JSON.stringify(request)}: ${record.error?.message ?? ''}`).toBe(
        'SUCCEEDED',
      );
    }
    // Folders named `images` (the dataset's, and one of the tree) are renamed, so that Ultralytics
    // swaps the right one for `labels`.
    const record = await runExport(stack, 'imported-odd', {
      taskId: 'labels',
      type: 'both',
      format: 'yolo_ultralytics',
    });
    const zip = await openZip(await readArchive(stack, record));
    expect(zip.names).toContain('images/train/images_/set A/images_/b.png');
    expect(zip.names).toContain('labels/train/images_/set A/images_/b.txt');
    await zip.close();
  }, 240_000);
});
