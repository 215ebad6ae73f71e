import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { readArchive, runExport } from '../../local/run-export';
import { runImportCoco } from '../../cli/import-coco';
import { boxCorners } from '../../shared/geometry';
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
      'annotations[0] (id 1): image_id 9 is not an image of the file',
    ]);
    await expect(
      new StoreReader(stack.s3, stack.config.dataBucket, 'never-written').project(),
    ).rejects.toThrow(/does not exist/);
  });
});
