/**
 * Every mask kind of the sample project's segmentation tasks exported end to end on the local
 * stack, the archive read back with @zip.js/zip.js and every PNG decoded with pngjs: each object's
 * pixels must agree with the shape the sample generator stored (IoU ≥ 0.98 for objects of at least
 * 100 px), computed here by brute force from the stored geometry alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { readArchive, runExport } from '../../local/run-export';
import { findFormat } from '../../shared/formats/index';
import type { MaskKind } from '../../shared/formats/types';
import type { Annotation, DatasetItem, Point, Task } from '../../shared/model/types';
import { safeName } from '../../shared/names';
import { startTestStack, type TestStack } from '../helpers/local';
import { openZip, type OpenedZip } from '../helpers/zip';
import { bruteForceMask, decodeMask } from '../unit/masks/reference';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.dispose();
});

const MIN_PIXELS = 100;
const MIN_IOU = 0.98;

/** A stored annotation's outline: a box's corners turned about its centre, or a polygon's parts. */
function shape(annotation: Annotation): Point[][] {
  if (annotation.type === 'Poly') return annotation.poly!;
  const { x, y, w, h, orientation } = annotation.box!;
  const cx = x + w / 2;
  const cy = y + h / 2;
  const cos = Math.cos(orientation ?? 0);
  const sin = Math.sin(orientation ?? 0);
  return [
    [
      [-w / 2, -h / 2],
      [w / 2, -h / 2],
      [w / 2, h / 2],
      [-w / 2, h / 2],
    ].map(([dx, dy]) => ({ x: cx + dx! * cos - dy! * sin, y: cy + dx! * sin + dy! * cos })),
  ];
}

/** Pixel indices where `test` holds. */
function where(values: ArrayLike<number>, test: (v: number) => boolean): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < values.length; i++) if (test(values[i]!)) out.add(i);
  return out;
}

function iou(a: Set<number>, b: Set<number>): number {
  let both = 0;
  for (const i of a) if (b.has(i)) both++;
  const either = a.size + b.size - both;
  return either === 0 ? 1 : both / either;
}

function expectSamePixels(got: Set<number>, truth: Set<number>, what: string): void {
  if (truth.size < MIN_PIXELS) return;
  expect(iou(got, truth), what).toBeGreaterThanOrEqual(MIN_IOU);
}

/** classes.txt as `file name → value → class name`. */
function parseClasses(text: string): Map<string, Map<number, string>> {
  const files = new Map<string, Map<number, string>>();
  let current: Map<number, string> | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('file: ')) {
      current = new Map();
      files.set(line.slice('file: '.length), current);
      continue;
    }
    const space = line.indexOf(' ');
    current!.set(Number(line.slice(0, space)), line.slice(space + 1));
  }
  return files;
}

interface Frame {
  /** `{stem}` of an image, `{video}/masks/{frame}` of a video frame. */
  base: string;
  /** The classes.txt entry this frame's values are listed under. */
  entry: string;
  item: DatasetItem;
  objects: Array<{ annotation: Annotation; className: string; truth: Set<number> }>;
}

function framesOf(
  task: Task,
  items: DatasetItem[],
  annotations: Annotation[],
  video: boolean,
): Frame[] {
  const frames: Frame[] = [];
  for (const item of items) {
    const count = video ? item.num_frames : 1;
    for (let frame = 0; frame < count; frame++) {
      const objects = annotations
        .filter((a) => a.dataset_item_index === item.index && a.frame_index === frame)
        .map((annotation) => {
          const mask = bruteForceMask(shape(annotation), item.width, item.height);
          return {
            annotation,
            className: task.classes.find((c) => c.id === annotation.class_id)!.name,
            truth: where(mask, (v) => v === 1),
          };
        });
      frames.push({
        base: video ? `${item.name}/masks/${frame}` : item.name.replace(/\.[^.]*$/, ''),
        entry: item.name,
        item,
        objects,
      });
    }
  }
  return frames;
}

const KIND_CASES: Array<{ taskId: string; kind: MaskKind }> = [
  SAMPLE_TASK_IDS.semanticSegmentation,
  SAMPLE_TASK_IDS.instanceSegmentation,
  SAMPLE_TASK_IDS.video,
].flatMap((taskId) => {
  const type =
    taskId === SAMPLE_TASK_IDS.semanticSegmentation
      ? 'semantic_segmentation'
      : 'instance_segmentation';
  return (findFormat('masks')!.maskKinds![type] ?? []).map((kind) => ({ taskId, kind }));
});

describe('masks exported through the local stack', () => {
  it('covers every mask kind of every segmentation sample task', () => {
    expect(KIND_CASES.map((c) => `${c.taskId}:${c.kind}`).sort()).toEqual([
      `${SAMPLE_TASK_IDS.instanceSegmentation}:aggregated_class`,
      `${SAMPLE_TASK_IDS.instanceSegmentation}:individual_class`,
      `${SAMPLE_TASK_IDS.instanceSegmentation}:instance`,
      `${SAMPLE_TASK_IDS.semanticSegmentation}:aggregated_class`,
      `${SAMPLE_TASK_IDS.semanticSegmentation}:individual_class`,
      `${SAMPLE_TASK_IDS.video}:aggregated_class`,
      `${SAMPLE_TASK_IDS.video}:individual_class`,
      `${SAMPLE_TASK_IDS.video}:instance`,
    ]);
  });

  it.each(KIND_CASES)(
    '$taskId $kind: every object comes back with its pixels',
    async ({ taskId, kind }) => {
      const sample = stack.sample.tasks.find((t) => t.task.id === taskId)!;
      const task = sample.task;
      const record = await runExport(stack, SAMPLE_PROJECT_ID, {
        type: 'annotations',
        taskId,
        format: 'masks',
        maskKind: kind,
      });
      expect(record.status, record.error?.message).toBe('SUCCEEDED');
      const zip = await openZip(await readArchive(stack, record));
      try {
        for (const datasetId of task.dataset_ids) {
          const { dataset, items } = stack.sample.datasets.find((d) => d.dataset.id === datasetId)!;
          const root = `annotations/${safeName(dataset.name)}/`;
          const video = dataset.media === 'video';
          const frames = framesOf(task, items, sample.annotations.get(datasetId) ?? [], video);
          if (video) await expectVideoFrames(zip, root, items);
          if (kind === 'individual_class') {
            await expectIndividual(zip, root, task, frames);
          } else {
            await expectLabelled(zip, root, task, kind, frames, video);
          }
        }
      } finally {
        await zip.close();
      }
    },
  );
});

async function expectVideoFrames(
  zip: OpenedZip,
  root: string,
  items: DatasetItem[],
): Promise<void> {
  for (const item of items) {
    for (let frame = 0; frame < item.num_frames; frame++) {
      const bytes = await zip.bytes(`${root}${item.name}/frames/${frame}.png`);
      // The copied frame is the store's image of that frame.
      const stored = stack.sample.datasets
        .find((d) => d.dataset.media === 'video')!
        .media.get(`${item.name}/${frame}.png`)!;
      expect(Buffer.from(bytes).equals(Buffer.from(stored)), `${item.name} frame ${frame}`).toBe(
        true,
      );
    }
  }
}

/** aggregated_class and instance: one label mask per image or frame, values explained by classes.txt. */
async function expectLabelled(
  zip: OpenedZip,
  root: string,
  task: Task,
  kind: MaskKind,
  frames: Frame[],
  video: boolean,
): Promise<void> {
  const classes = parseClasses(await zip.text(`${root}classes.txt`));
  const byPosition = [...task.classes].sort((a, b) => a.id - b.id).map((c) => c.name);
  // A video's instance keeps its value in every frame.
  const instanceValues = new Map<string, number>();
  for (const frame of frames) {
    const mask = decodeMask(await zip.bytes(`${root}${frame.base}.png`));
    expect([mask.width, mask.height, mask.depth]).toEqual([frame.item.width, frame.item.height, 8]);
    const listed = classes.get(frame.entry);
    expect(listed, `classes.txt lists ${frame.entry}`).toBeDefined();
    if (frame.objects.length === 0) expect(new Set(mask.values), frame.base).toEqual(new Set([0]));
    const used = new Set<number>();
    for (const object of frame.objects) {
      const what = `${kind} ${frame.base} ${object.className}`;
      if (kind === 'aggregated_class') {
        const value = byPosition.indexOf(object.className) + 1;
        expect(listed!.get(value), what).toBe(object.className);
        // Objects of one class share a value: compare the object's own pixels with that value
        // inside its cell (sample objects never overlap).
        const others = frame.objects.filter(
          (o) => o !== object && o.className === object.className,
        );
        const got = where(mask.values, (v) => v === value);
        for (const other of others) for (const i of other.truth) got.delete(i);
        expectSamePixels(got, object.truth, what);
      } else {
        const value = majority(mask.values, object.truth);
        expect(value, `${what} is painted`).toBeGreaterThan(0);
        expect(used.has(value), `${what} has its own value`).toBe(false);
        used.add(value);
        expect(listed!.get(value), what).toBe(object.className);
        if (video) {
          const key = `${frame.item.name}:${object.annotation.class_id}:${object.annotation.instance_id}`;
          expect(instanceValues.get(key) ?? value, `${what} keeps its value`).toBe(value);
          instanceValues.set(key, value);
        }
        expectSamePixels(
          where(mask.values, (v) => v === value),
          object.truth,
          what,
        );
      }
    }
  }
}

/** individual_class: a 0/255 mask per class (semantic) or per instance (instance segmentation). */
async function expectIndividual(
  zip: OpenedZip,
  root: string,
  task: Task,
  frames: Frame[],
): Promise<void> {
  const perInstance = task.type === 'instance_segmentation';
  const names = new Set(
    zip.names.filter((n) => n.startsWith(root)).map((n) => n.slice(root.length)),
  );
  const claimed = new Set<string>();
  for (const frame of frames) {
    if (perInstance) {
      for (const object of frame.objects) {
        const what = `individual ${frame.base} ${object.className}`;
        const prefix = `${frame.base}__${safeName(object.className)}__`;
        const candidates = [...names].filter(
          (n) => n.startsWith(prefix) && /__\d+\.png$/.test(n.slice(prefix.length - 2)),
        );
        let best = { name: '', score: -1, pixels: new Set<number>() };
        for (const name of candidates) {
          const mask = decodeMask(await zip.bytes(root + name));
          const pixels = where(mask.values, (v) => v === 255);
          const score = iou(pixels, object.truth);
          if (score > best.score) best = { name, score, pixels };
        }
        expect(best.name, `${what} has a mask`).not.toBe('');
        expect(claimed.has(best.name), `${what} has its own mask`).toBe(false);
        claimed.add(best.name);
        expectSamePixels(best.pixels, object.truth, what);
      }
    } else {
      const byClass = new Map<string, Set<number>>();
      for (const object of frame.objects) {
        const union = byClass.get(object.className) ?? new Set<number>();
        for (const i of object.truth) union.add(i);
        byClass.set(object.className, union);
      }
      for (const [className, truth] of byClass) {
        const name = `${frame.base}__${safeName(className)}.png`;
        expect(names.has(name), `${name} exists`).toBe(true);
        claimed.add(name);
        const mask = decodeMask(await zip.bytes(root + name));
        expect(
          new Set(mask.values).size <= 2 && mask.values.every((v) => v === 0 || v === 255),
        ).toBe(true);
        expectSamePixels(
          where(mask.values, (v) => v === 255),
          truth,
          `individual ${name}`,
        );
      }
    }
  }
  // No mask for anything that is not an object of the sample.
  const masks = [...names].filter((n) => n.endsWith('.png') && !n.includes('/frames/'));
  expect(masks.sort()).toEqual([...claimed].sort());
}

/** The most frequent value of the mask inside the given pixels. */
function majority(values: ArrayLike<number>, pixels: Set<number>): number {
  const counts = new Map<number, number>();
  for (const i of pixels) counts.set(values[i]!, (counts.get(values[i]!) ?? 0) + 1);
  let best = 0;
  let bestCount = -1;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}
