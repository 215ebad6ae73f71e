/**
 * Every allowed (task, format) pair of the sample project exported end to end on the local stack,
 * then read back with readers that share no code with the renderers (test/unit/formats/readers.ts):
 * every object must come back with its class and a box within 1 px of the truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedFormats, findFormat } from '../../shared/formats/index';
import type { Annotation, DatasetItem, Task } from '../../shared/model/types';
import { safeName } from '../../shared/names';
import { buildSampleProject, SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { readArchive, runExport } from '../../local/run-export';
import { startTestStack, type TestStack } from '../helpers/local';
import { openZip } from '../helpers/zip';
import {
  datasetView,
  readerFor,
  readMasks,
  storedObject,
  type Box4,
  type Found,
} from '../unit/formats/readers';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.dispose();
});

/** The truth: each stored annotation as the object every format should write. */
function truthOf(task: Task, items: DatasetItem[], annotations: Annotation[]): Found[] {
  return annotations.map((a) =>
    storedObject(
      a,
      items.find((i) => i.index === a.dataset_item_index)!,
      task.classes.find((c) => c.id === a.class_id)!.name,
    ),
  );
}

function expectSameObjects(found: Found[], truth: Found[], what: string): void {
  const key = (f: Found) => `${f.item}#${f.frame}`;
  const sorted = (list: Found[]) =>
    [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const got = sorted(found);
  const want = sorted(truth);
  expect(
    got.map((f) => [key(f), f.className]),
    what,
  ).toEqual(want.map((f) => [key(f), f.className]));
  got.forEach((f, n) => {
    const expected = want[n]!.box;
    if (expected === null) {
      expect(f.box, `${what}: ${key(f)} is a Tag`).toBeNull();
      return;
    }
    expect(f.box, `${what}: ${key(f)} ${f.className} has a box`).not.toBeNull();
    f.box!.forEach((value, k) => {
      expect(
        Math.abs(value - expected[k]!),
        `${what}: ${key(f)} ${f.className} box ${k}`,
      ).toBeLessThanOrEqual(1);
    });
  });
}

const TASKS = Object.values(SAMPLE_TASK_IDS);

describe('every allowed (task, format) pair of the sample project', () => {
  it('has something to export for every task', () => {
    expect(TASKS.length).toBe(5);
  });

  it.each(TASKS)('task %s: each text format gives back every object', async (taskId) => {
    const sample = stack.sample.tasks.find((t) => t.task.id === taskId)!;
    const formats = allowedFormats(sample.task.type, sample.task.media).filter((f) => !f.maskKinds);
    expect(formats.length).toBeGreaterThan(0);
    for (const format of formats) {
      const record = await runExport(stack, SAMPLE_PROJECT_ID, {
        type: 'both',
        taskId,
        format: format.id,
      });
      expect(record.status, `${taskId} ${format.id}: ${record.error?.message ?? ''}`).toBe(
        'SUCCEEDED',
      );
      const zip = await openZip(await readArchive(stack, record));
      // The manifest says which format, and which version of its layout, the archive holds.
      expect(JSON.parse(await zip.text('manifest.json'))).toMatchObject({
        format: format.id,
        format_version: format.version,
      });
      for (const datasetId of sample.task.dataset_ids) {
        const { dataset, items } = stack.sample.datasets.find((d) => d.dataset.id === datasetId)!;
        const view = datasetView(zip, sample.task, dataset, items, format.id);
        const found = await readerFor(format.id)(view);
        const truth = truthOf(sample.task, items, sample.annotations.get(datasetId) ?? []);
        expectSameObjects(found, truth, `${taskId} ${format.id} ${dataset.name}`);
      }
      await zip.close();
    }
  });
});

describe('COCO round trip', () => {
  it("reproduces the store's object-detection boxes within 0.01 px", async () => {
    const sample = stack.sample.tasks.find((t) => t.task.id === SAMPLE_TASK_IDS.objectDetection)!;
    const record = await runExport(stack, SAMPLE_PROJECT_ID, {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
    });
    expect(record.status).toBe('SUCCEEDED');
    const zip = await openZip(await readArchive(stack, record));
    let rotated = 0;
    for (const datasetId of sample.task.dataset_ids) {
      const { dataset, items } = stack.sample.datasets.find((d) => d.dataset.id === datasetId)!;
      const coco = JSON.parse(
        await zip.text(`annotations/${safeName(dataset.name)}/coco.json`),
      ) as {
        images: Array<{ id: number; file_name: string }>;
        annotations: Array<{
          image_id: number;
          category_id: number;
          segmentation: number[][];
          bbox: number[];
        }>;
      };
      const truth = sample.annotations.get(datasetId)!;
      expect(coco.annotations).toHaveLength(truth.length);
      coco.annotations.forEach((exported, n) => {
        const stored = truth[n]!;
        const image = coco.images.find((i) => i.id === exported.image_id)!;
        expect(image.file_name).toBe(
          items.find((i) => i.index === stored.dataset_item_index)!.name,
        );
        expect(exported.category_id).toBe(stored.class_id);
        // A box's segmentation is its four corners in order: width, height, angle and centre
        // give the stored box back.
        const [x0, y0, x1, y1, x2, y2, x3, y3] = exported.segmentation[0]! as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        const w = Math.hypot(x1 - x0, y1 - y0);
        const h = Math.hypot(x2 - x1, y2 - y1);
        const angle = Math.atan2(y1 - y0, x1 - x0);
        const cx = (x0 + x1 + x2 + x3) / 4;
        const cy = (y0 + y1 + y2 + y3) / 4;
        const box = stored.box!;
        expect(Math.abs(w - box.w)).toBeLessThan(0.01);
        expect(Math.abs(h - box.h)).toBeLessThan(0.01);
        expect(Math.abs(cx - w / 2 - box.x)).toBeLessThan(0.01);
        expect(Math.abs(cy - h / 2 - box.y)).toBeLessThan(0.01);
        expect(Math.abs(angle - (box.orientation ?? 0))).toBeLessThan(1e-3);
        if (box.orientation) rotated++;
        else {
          exported.bbox.forEach((value, k) => {
            expect(Math.abs(value - [box.x, box.y, box.w, box.h][k]!)).toBeLessThan(0.01);
          });
        }
      });
    }
    expect(rotated).toBeGreaterThan(0);
    await zip.close();
  });
});

/** Objects of one class in one image or frame become one object spanning all of them. */
function unionByClass(list: Found[]): Found[] {
  const byKey = new Map<string, Found>();
  for (const f of list) {
    const key = `${f.item}#${f.frame}#${f.className}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...f, box: [...f.box!] as Box4 });
    else {
      const [a, b] = [seen.box!, f.box!];
      seen.box = [
        Math.min(a[0], b[0]),
        Math.min(a[1], b[1]),
        Math.max(a[2], b[2]),
        Math.max(a[3], b[3]),
      ];
    }
  }
  return [...byKey.values()];
}

/** Instances of an image in a fixed order (class, then left edge) so that masks and truth line up. */
function byClassAndPlace(list: Found[]): Found[] {
  return [...list].sort((a, b) =>
    a.className !== b.className ? (a.className < b.className ? -1 : 1) : a.box![0] - b.box![0],
  );
}

describe('every allowed masks pair of the sample project', () => {
  const masks = findFormat('masks');
  const cells = TASKS.flatMap((taskId) => {
    const task = buildTask(taskId);
    return (masks?.maskKinds?.[task.type] ?? [])
      .filter(() => masks!.media.includes(task.media))
      .map((maskKind) => ({ taskId, maskKind }));
  });

  it('has mask cells to check', () => {
    expect(cells.length).toBeGreaterThanOrEqual(5);
  });

  it.each(cells)(
    'task $taskId, $maskKind masks: every object painted with its class, within 1 px',
    async ({ taskId, maskKind }) => {
      const sample = stack.sample.tasks.find((t) => t.task.id === taskId)!;
      const record = await runExport(stack, SAMPLE_PROJECT_ID, {
        type: 'annotations',
        taskId,
        format: 'masks',
        maskKind,
      });
      expect(record.status, `${taskId} masks ${maskKind}: ${record.error?.message ?? ''}`).toBe(
        'SUCCEEDED',
      );
      const zip = await openZip(await readArchive(stack, record));
      const perInstance =
        maskKind === 'instance' ||
        (maskKind === 'individual_class' && sample.task.type === 'instance_segmentation');
      for (const datasetId of sample.task.dataset_ids) {
        const { dataset, items } = stack.sample.datasets.find((d) => d.dataset.id === datasetId)!;
        const view = datasetView(zip, sample.task, dataset, items);
        const found = await readMasks(view, maskKind);
        const truth = truthOf(sample.task, items, sample.annotations.get(datasetId) ?? []);
        const what = `${taskId} masks ${maskKind} ${dataset.name}`;
        if (perInstance) expectSameObjects(byClassAndPlace(found), byClassAndPlace(truth), what);
        else
          expectSameObjects(
            byClassAndPlace(unionByClass(found)),
            byClassAndPlace(unionByClass(truth)),
            what,
          );
      }
      await zip.close();
    },
  );
});

function buildTask(taskId: string): Task {
  return buildSampleProject().tasks.find((t) => t.task.id === taskId)!.task;
}
