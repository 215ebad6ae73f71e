import { describe, expect, it } from 'vitest';
import { innotescusJson } from '../../../shared/formats/innotescus-json';
import { imagesCase, videoCase } from '../../fixtures/tiny/input';
import { renderShard } from './harness';

async function files(tiny = imagesCase()): Promise<Record<string, unknown>> {
  const rendered = await renderShard(innotescusJson, tiny);
  return Object.fromEntries(
    [...rendered.files].map(([path, body]) => [path, JSON.parse(body.toString('utf8'))]),
  );
}

describe('innotescus_json', () => {
  it('writes the five files of the reference document per dataset', async () => {
    expect(Object.keys(await files()).sort()).toEqual([
      'annotation_metadata_definitions.json',
      'annotations.json',
      'classes.json',
      'dataset_item_metadata_definitions.json',
      'dataset_items.json',
    ]);
  });

  it('writes classes with id, name and parent_id', async () => {
    const classes = (await files())['classes.json'] as Array<Record<string, unknown>>;
    expect(classes[3]).toEqual({ id: 7, name: 'sign, "stop"', parent_id: 2 });
    expect(classes.map((c) => c.id)).toEqual([1, 2, 3, 7]);
  });

  it('writes annotations field for field, without the store timestamps', async () => {
    const annotations = (await files())['annotations.json'] as Array<Record<string, unknown>>;
    expect(Object.keys(annotations[0]!)).toEqual([
      'dataset_item_index',
      'frame_index',
      'type',
      'class_id',
      'instance_id',
      'box',
      'poly',
      'is_open',
      'annotators',
      'meta_data',
    ]);
    expect(annotations[1]).toMatchObject({
      type: 'Box',
      box: { x: 30, y: 10, w: 16, h: 8, orientation: 0.5 },
    });
  });

  it('writes dataset items field for field with the url of the media', async () => {
    const items = (await files())['dataset_items.json'] as Array<Record<string, unknown>>;
    expect(items[1]).toEqual({
      index: 1,
      name: 'b.png',
      num_frames: 1,
      width: 32,
      height: 32,
      url: 'datasets/Street & park/b.png',
      num_channels: 1,
      bits_per_channel: 8,
      meta_data: { weather: 'rain' },
    });
  });

  it('wraps item metadata definitions in {"fields": [...]} and lists annotation ones bare', async () => {
    const all = await files();
    const fields = all['dataset_item_metadata_definitions.json'] as { fields: unknown[] };
    expect(Object.keys(fields)).toEqual(['fields']);
    expect(fields.fields).toEqual(imagesCase().dataset.item_metadata_definitions);
    expect(all['annotation_metadata_definitions.json']).toEqual(
      imagesCase().task.annotation_metadata_definitions,
    );
  });

  it('keeps frame indices and frame counts of videos', async () => {
    const all = await files(videoCase());
    const annotations = all['annotations.json'] as Array<{ frame_index: number }>;
    expect(annotations.map((a) => a.frame_index)).toEqual([0, 2]);
    const items = all['dataset_items.json'] as Array<{ num_frames: number }>;
    expect(items.map((i) => i.num_frames)).toEqual([3, 2]);
  });
});
