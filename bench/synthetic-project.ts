import type { S3Client } from '@aws-sdk/client-s3';
import type { ExportRecord } from '../shared/exports/record';
import { runExport } from '../local/run-export';
import type { LocalStack } from '../local/stack';
import type { Annotation, DatasetItem } from '../shared/model/types';
import { StoreWriter } from '../shared/store/writer';
// The same records the tests build, with this project's own names, sizes and dates.
import { aTask, anAnnotation, anItem } from '../test/helpers/builders';

export const SYNTHETIC_PROJECT = 'bench';
export const SYNTHETIC_TASK = 't';

export interface SyntheticOptions {
  size: number;
  width: number;
  height: number;
  /** File extension of the images, and their content type. */
  ext: 'png' | 'jpg';
  /** The bytes of image `index`. */
  image: (index: number) => Uint8Array;
}

const CREATED = '2026-01-01T00:00:00Z';
const DATASET = 'd';
const BOXES_PER_IMAGE = 4;
/** Media uploads under way at once. */
const UPLOADS_AT_ONCE = 32;

const SYNTHETIC_TASK_RECORD = aTask({
  id: SYNTHETIC_TASK,
  name: 'Boxes',
  dataset_ids: [DATASET],
  classes: ['a', 'b'].map((name, i) => ({ id: i + 1, name, parent_id: null })),
});

export function syntheticItem(
  index: number,
  { width, height, ext }: SyntheticOptions,
): DatasetItem {
  return anItem({
    index,
    name: `img_${String(index).padStart(6, '0')}.${ext}`,
    width,
    height,
    created_at: CREATED,
  });
}

/** Four boxes on the diagonal of a 4x4 grid over the image, alternating between the classes. */
export function syntheticBoxes(index: number, { width, height }: SyntheticOptions): Annotation[] {
  const cell = { w: width / 4, h: height / 4 };
  return Array.from({ length: BOXES_PER_IMAGE }, (_, k) =>
    anAnnotation({
      dataset_item_index: index,
      class_id: 1 + (k % 2),
      instance_id: k + 1,
      box: {
        x: k * cell.w + 2,
        y: k * cell.h + 2,
        w: cell.w - 4,
        h: cell.h - 4,
        orientation: null,
      },
      created_at: CREATED,
      updated_at: CREATED,
    }),
  );
}

/**
 * A benchmark project: one dataset of `size` images, an object detection task with four boxes per
 * image spread across it. Media is uploaded 32 objects at a time.
 */
export async function seedSyntheticProject(
  s3: S3Client,
  bucket: string,
  options: SyntheticOptions,
): Promise<void> {
  const writer = new StoreWriter(s3, bucket, SYNTHETIC_PROJECT);
  await writer.project({ id: SYNTHETIC_PROJECT, name: 'Bench', created_at: CREATED });
  await writer.dataset({
    id: DATASET,
    name: 'Images',
    media: 'image',
    item_metadata_definitions: [],
  });
  const items = Array.from({ length: options.size }, (_, index) => syntheticItem(index, options));
  await writer.task(SYNTHETIC_TASK_RECORD);
  await writer.items(DATASET, items);
  await writer.annotations(
    SYNTHETIC_TASK,
    DATASET,
    items.flatMap((item) => syntheticBoxes(item.index, options)),
  );
  const contentType = options.ext === 'png' ? 'image/png' : 'image/jpeg';
  for (let i = 0; i < items.length; i += UPLOADS_AT_ONCE) {
    const batch = items.slice(i, i + UPLOADS_AT_ONCE);
    await Promise.all(
      batch.map((item) =>
        writer.media(DATASET, item.media_key, options.image(item.index), contentType),
      ),
    );
  }
}

/** Exports the synthetic project with type both in `format`; its seconds from start to SUCCEEDED. */
export async function exportSynthetic(
  stack: LocalStack,
  format: string,
): Promise<{ seconds: number; record: ExportRecord }> {
  const started = process.hrtime.bigint();
  const record = await runExport(stack, SYNTHETIC_PROJECT, {
    type: 'both',
    taskId: SYNTHETIC_TASK,
    format,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (record.status !== 'SUCCEEDED') throw new Error(`export failed: ${record.error?.message}`);
  return { seconds, record };
}
