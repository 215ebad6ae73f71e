import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKeys } from '../../shared/aws/s3';
import { boxCorners, pointsBounds } from '../../shared/geometry';
import { startExport } from '../../shared/exports/start';
import { storeKeys } from '../../shared/store/keys';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { runExport } from '../../local/run-export';
import { startTestStack, succeededExport, type TestStack } from '../helpers/local';
import type { CocoAnnotation, CocoCategory, CocoImage } from '../../shared/formats/coco';

interface Coco {
  info: { description: string };
  images: CocoImage[];
  categories: CocoCategory[];
  annotations: CocoAnnotation[];
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.dispose();
});

async function storeSnapshot(): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  for await (const { key } of listKeys(stack.s3, stack.config.dataBucket, 'projects/')) {
    const object = await stack.s3.send(
      new GetObjectCommand({ Bucket: stack.config.dataBucket, Key: key }),
    );
    snapshot.set(key, Buffer.from(await object.Body!.transformToByteArray()).toString('base64'));
  }
  return snapshot;
}

/** Runs `test` with the store object `key` rewritten line by line by `change`, then restores it. */
async function withStoreLines(
  key: string,
  change: (lines: string[]) => void,
  test: () => Promise<void>,
): Promise<void> {
  const bucket = stack.config.dataBucket;
  const original = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await original.Body!.transformToString();
  const lines = text.trimEnd().split('\n');
  change(lines);
  await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines.join('\n') }));
  try {
    await test();
  } finally {
    await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
  }
}

/** What is left of an export's staged work. */
async function stagedWork(exportId: string): Promise<string[]> {
  const left: string[] = [];
  for await (const { key } of listKeys(stack.s3, stack.config.exportBucket, `work/${exportId}/`)) {
    left.push(key);
  }
  return left;
}

/** What a standard COCO reader requires: unique ids, references that resolve, boxes inside images. */
function expectReadableCoco(coco: Coco): void {
  const imageIds = new Set(coco.images.map((i) => i.id));
  const categoryIds = new Set(coco.categories.map((c) => c.id));
  expect(imageIds.size).toBe(coco.images.length);
  expect(new Set(coco.annotations.map((a) => a.id)).size).toBe(coco.annotations.length);
  for (const annotation of coco.annotations) {
    const image = coco.images.find((i) => i.id === annotation.image_id);
    expect(image, `image ${annotation.image_id}`).toBeDefined();
    expect(categoryIds.has(annotation.category_id)).toBe(true);
    const [x, y, w, h] = annotation.bbox;
    expect(x).toBeGreaterThanOrEqual(0);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(x + w).toBeLessThanOrEqual(image!.width);
    expect(y + h).toBeLessThanOrEqual(image!.height);
    expect(annotation.area).toBeGreaterThan(0);
  }
}

describe('the export state machine on the local stack', () => {
  it('exports COCO for object detection with images, byte-identical, across several shards', async () => {
    const { record, zip } = await succeededExport(stack, {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
    });
    expect(record.progress).toEqual({ done: 5, total: 5 }); // 12 + 8 items in shards of 5
    const task = stack.sample.tasks.find((t) => t.task.id === SAMPLE_TASK_IDS.objectDetection)!;
    for (const { dataset, items, media } of stack.sample.datasets.filter(
      (d) => d.dataset.media === 'image',
    )) {
      const folder = dataset.name.replace(/[/:]/g, '_');
      const coco = JSON.parse(await zip.text(`annotations/${folder}/coco.json`)) as Coco;
      expectReadableCoco(coco);
      expect(coco.images.map((i) => i.file_name)).toEqual(items.map((i) => i.name));
      expect(coco.images.map((i) => i.id)).toEqual(items.map((_, n) => n + 1));
      const truth = task.annotations.get(dataset.id)!;
      expect(coco.annotations).toHaveLength(truth.length);
      // Every stored box comes back as its tight box, in stored order.
      truth.forEach((annotation, n) => {
        const exported = coco.annotations[n]!;
        const bounds = pointsBounds([boxCorners(annotation.box!)])!;
        expect(exported.category_id).toBe(annotation.class_id);
        expect(coco.images.find((i) => i.id === exported.image_id)!.file_name).toBe(
          items[annotation.dataset_item_index]!.name,
        );
        expect(exported.bbox[0]).toBeCloseTo(bounds.xMin, 3);
        expect(exported.bbox[1]).toBeCloseTo(bounds.yMin, 3);
        expect(exported.bbox[2]).toBeCloseTo(bounds.xMax - bounds.xMin, 3);
        expect(exported.bbox[3]).toBeCloseTo(bounds.yMax - bounds.yMin, 3);
      });
      for (const item of items) {
        expect(
          Buffer.from(await zip.bytes(`datasets/${folder}/${item.name}`)).equals(
            Buffer.from(media.get(item.media_key)!),
          ),
        ).toBe(true);
      }
    }
    const manifest = JSON.parse(await zip.text('manifest.json'));
    expect(manifest).toMatchObject({
      id: record.id,
      format: 'coco',
      type: 'both',
      totals: { items: 20, annotations: 38 },
    });
    const checksums = (await zip.text('checksums.sha256')).trim().split('\n');
    expect(checksums).toHaveLength(zip.names.length - 1);
    await zip.close();
    // Staged work is gone once the archive exists.
    expect(await stagedWork(record.id)).toEqual([]);
  });

  it('exports instance segmentation COCO with polygon areas from the rasteriser', async () => {
    const { zip } = await succeededExport(stack, {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.instanceSegmentation,
      format: 'coco',
    });
    expect(zip.names.filter((n) => n.startsWith('datasets/'))).toEqual([]);
    const coco = JSON.parse(await zip.text('annotations/Parks/coco.json')) as Coco;
    expectReadableCoco(coco);
    // A regular polygon's pixel count is close to its area.
    for (const annotation of coco.annotations) {
      // The sample holds polygons and boxes only: no RLE segmentation here.
      const segmentation = annotation.segmentation as number[][];
      const ring = segmentation[0]!;
      let twice = 0;
      for (let i = 0; i < ring.length; i += 2) {
        const j = (i + 2) % ring.length;
        twice += ring[i]! * ring[j + 1]! - ring[j]! * ring[i + 1]!;
      }
      if (segmentation.length === 1)
        expect(Math.abs(annotation.area - Math.abs(twice) / 2)).toBeLessThan(
          Math.abs(twice) * 0.15,
        );
    }
  });

  it('exports one COCO file per video with frame numbers as image ids', async () => {
    const { zip } = await succeededExport(stack, {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.video,
      format: 'coco',
    });
    const coco = JSON.parse(await zip.text('annotations/Clips/clip_a.json')) as Coco;
    expectReadableCoco(coco);
    expect(coco.images.map((i) => [i.id, i.file_name])).toEqual(
      [0, 1, 2, 3, 4, 5].map((f) => [f, `${f}.png`]),
    );
    expect(zip.names).toContain('datasets/Clips/clip_b/5.png');
  });

  it('skips, with a manifest warning, a video annotation past the frames: no dangling image_id', async () => {
    const key = storeKeys.annotations(SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS.video, 'clips');
    await withStoreLines(
      key,
      (lines) => {
        lines[0] = JSON.stringify({ ...JSON.parse(lines[0]!), frame_index: 9 });
      },
      async () => {
        const { zip } = await succeededExport(stack, {
          type: 'annotations',
          taskId: SAMPLE_TASK_IDS.video,
          format: 'coco',
        });
        const coco = JSON.parse(await zip.text('annotations/Clips/clip_a.json')) as Coco;
        const ids = new Set(coco.images.map((i) => i.id));
        for (const a of coco.annotations) expect(ids.has(a.image_id)).toBe(true);
        const manifest = JSON.parse(await zip.text('manifest.json')) as { warnings: string[] };
        expect(manifest.warnings).toContain(
          'clip_a frame 9: frame is not in the video; annotation skipped',
        );
      },
    );
  });

  it('fails naming the video when its folder holds no frames', async () => {
    const bucket = stack.config.dataBucket;
    const prefix = storeKeys.media(SAMPLE_PROJECT_ID, 'clips', 'clip_b/');
    const saved: Array<{ key: string; body: Uint8Array }> = [];
    for await (const { key } of listKeys(stack.s3, bucket, prefix)) {
      const object = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      saved.push({ key, body: await object.Body!.transformToByteArray() });
      await stack.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    expect(saved.length).toBeGreaterThan(0);
    try {
      const record = await runExport(stack, SAMPLE_PROJECT_ID, {
        type: 'annotations',
        taskId: SAMPLE_TASK_IDS.video,
        format: 'coco',
      });
      expect(record.status).toBe('FAILED');
      expect(record.error?.message).toBe(
        'dataset clips: video "clip_b" has no frame files under media/clip_b/ (frames are named {frame_index}.{ext})',
      );
    } finally {
      for (const { key, body } of saved)
        await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
  });

  it('fails with the bad line named in the record, and leaves the store untouched', async () => {
    const key = storeKeys.annotations(SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS.objectDetection, 'parks');
    await withStoreLines(
      key,
      (lines) => {
        const bad = JSON.parse(lines[2]!);
        bad.box.w = 'wide';
        lines[2] = JSON.stringify(bad);
      },
      async () => {
        const before = await storeSnapshot();
        const record = await runExport(stack, SAMPLE_PROJECT_ID, {
          type: 'both',
          taskId: SAMPLE_TASK_IDS.objectDetection,
          format: 'coco',
        });
        expect(record.status).toBe('FAILED');
        expect(record.error).toMatchObject({
          code: 'ValidationError',
          message: 'annotations/parks.jsonl line 3: box.w is not a finite number',
        });
        expect(record.archive).toBeNull();
        expect(await storeSnapshot()).toEqual(before);
        expect(await stagedWork(record.id)).toEqual([]);
      },
    );
  });

  it('fails naming the line of an unknown class id and of an annotation of a missing item', async () => {
    const key = storeKeys.annotations(
      SAMPLE_PROJECT_ID,
      SAMPLE_TASK_IDS.instanceSegmentation,
      'streets',
    );
    const request = {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.instanceSegmentation,
      format: 'coco',
    };
    await withStoreLines(
      key,
      (lines) => {
        lines[4] = JSON.stringify({ ...JSON.parse(lines[4]!), class_id: 99 });
      },
      async () => {
        const record = await runExport(stack, SAMPLE_PROJECT_ID, request);
        expect(record.status).toBe('FAILED');
        expect(record.error?.message).toBe(
          'annotations/streets.jsonl line 5: class_id 99 is not a class of the task',
        );
      },
    );
    await withStoreLines(
      key,
      (lines) => {
        lines[6] = JSON.stringify({ ...JSON.parse(lines[6]!), dataset_item_index: 500 });
      },
      async () => {
        const record = await runExport(stack, SAMPLE_PROJECT_ID, request);
        expect(record.error?.message).toBe(
          'annotations/streets.jsonl line 7: dataset_item_index 500 is not an item of dataset streets',
        );
      },
    );
  });

  it('fails naming a missing media object', async () => {
    const key = storeKeys.media(SAMPLE_PROJECT_ID, 'parks', 'parks_004.png');
    const original = await stack.s3.send(
      new GetObjectCommand({ Bucket: stack.config.dataBucket, Key: key }),
    );
    const body = Buffer.from(await original.Body!.transformToByteArray());
    await stack.s3.send(new DeleteObjectCommand({ Bucket: stack.config.dataBucket, Key: key }));
    try {
      const record = await runExport(stack, SAMPLE_PROJECT_ID, {
        type: 'both',
        taskId: SAMPLE_TASK_IDS.objectDetection,
        format: 'yolo_darknet',
      });
      expect(record.status).toBe('FAILED');
      expect(record.error?.message).toBe(`${key} does not exist`);
    } finally {
      await stack.s3.send(
        new PutObjectCommand({ Bucket: stack.config.dataBucket, Key: key, Body: body }),
      );
    }
  });

  it('refuses to start an export of a task that does not exist', async () => {
    const started = startExport(stack.startDeps(), SAMPLE_PROJECT_ID, {
      type: 'annotations',
      taskId: 'nope',
      format: 'coco',
    });
    await expect(started).rejects.toThrow('task nope does not exist (tasks/nope/task.json)');
    await expect(started).rejects.toHaveProperty('name', 'NotFoundError');
  });
});
