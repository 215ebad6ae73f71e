import type { S3Client } from '@aws-sdk/client-s3';
import type { Annotation, DatasetItem, Task } from '../shared/model/types';
import { StoreWriter } from '../shared/store/writer';

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

/**
 * A benchmark project: one dataset of `size` images, an object detection task with four boxes per
 * image spread across it. Media is uploaded 32 objects at a time.
 */
export async function seedSyntheticProject(
  s3: S3Client,
  bucket: string,
  options: SyntheticOptions,
): Promise<void> {
  const { size, width, height, ext } = options;
  const writer = new StoreWriter(s3, bucket, SYNTHETIC_PROJECT);
  await writer.project({
    id: SYNTHETIC_PROJECT,
    name: 'Bench',
    created_at: '2026-01-01T00:00:00Z',
  });
  await writer.dataset({ id: 'd', name: 'Images', media: 'image', item_metadata_definitions: [] });
  const items: DatasetItem[] = [];
  const annotations: Annotation[] = [];
  const cell = { w: width / 4, h: height / 4 };
  for (let index = 0; index < size; index++) {
    const name = `img_${String(index).padStart(6, '0')}.${ext}`;
    items.push({
      index,
      name,
      media_key: name,
      width,
      height,
      num_frames: 1,
      num_channels: 3,
      bits_per_channel: 8,
      meta_data: {},
      created_at: '2026-01-01T00:00:00Z',
    });
    for (let k = 0; k < 4; k++) {
      annotations.push({
        dataset_item_index: index,
        frame_index: 0,
        type: 'Box',
        class_id: 1 + (k % 2),
        instance_id: k + 1,
        box: {
          x: k * cell.w + 2,
          y: k * cell.h + 2,
          w: cell.w - 4,
          h: cell.h - 4,
          orientation: null,
        },
        poly: null,
        is_open: false,
        annotators: '',
        meta_data: {},
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      });
    }
  }
  const task: Task = {
    id: SYNTHETIC_TASK,
    name: 'Boxes',
    type: 'object_detection',
    media: 'image',
    dataset_ids: ['d'],
    classes: [
      { id: 1, name: 'a', parent_id: null },
      { id: 2, name: 'b', parent_id: null },
    ],
    rotation_enabled: false,
    annotation_metadata_definitions: [],
  };
  await writer.task(task);
  await writer.items('d', items);
  await writer.annotations(SYNTHETIC_TASK, 'd', annotations);
  const contentType = ext === 'png' ? 'image/png' : 'image/jpeg';
  for (let i = 0; i < size; i += 32) {
    await Promise.all(
      items
        .slice(i, i + 32)
        .map((item) => writer.media('d', item.media_key, options.image(item.index), contentType)),
    );
  }
}
