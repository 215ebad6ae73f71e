import { crc32 } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordKeys } from '../../../shared/exports/record';
import {
  loadShard,
  readShardItems,
  renderFiles,
  renderShard,
  stageShard,
} from '../../../shared/pipeline/render';
import { workKeys } from '../../../shared/pipeline/work';
import { openZip } from '../../helpers/zip';
import { BUCKETS } from '../api/fake-aws';
import {
  fakePipeline,
  noise,
  P,
  plannedExport,
  seedImages,
  segmentAsZip,
  type FakePipeline,
} from './staging';

let pipeline: FakePipeline;

beforeEach(async () => {
  // Shards of two images: five images make three shards.
  pipeline = fakePipeline(2);
  await seedImages(pipeline, 5);
});

const shardRef = (ref: { exportId: string; projectId: string }, index: number) => ({
  ...ref,
  shard: { index, kind: 'render' as const },
});
/** An export planned, and its shard `index` loaded, read and rendered, not yet staged. */
async function renderedShard(index: number) {
  const ref = await plannedExport(pipeline);
  const shard = await loadShard(pipeline.deps, shardRef(ref, index));
  const items = await readShardItems(pipeline.deps, shard);
  return { ref, shard, rendered: await renderFiles(pipeline.deps, shard, items) };
}

const exportObject = (key: string) => pipeline.aws.objects.get(`${BUCKETS.exports}/${key}`);

describe('loadShard', () => {
  it("gives the shard's place in the plan: its dataset and folder, subset and format", async () => {
    const ref = await plannedExport(pipeline, {
      split: { subsets: [{ name: 'train', percent: 100 }] },
    });
    const shard = await loadShard(pipeline.deps, shardRef(ref, 1));
    expect(shard.shard).toMatchObject({ index: 1, datasetId: 'd1', subset: 'train', items: 2 });
    expect([shard.folder, shard.prefix, shard.format?.id]).toEqual([
      'Parks',
      'train/',
      'yolo_darknet',
    ]);
    expect(shard.withDatasets).toBe(true);
  });

  it('refuses a shard the plan does not have', async () => {
    const ref = await plannedExport(pipeline);
    await expect(loadShard(pipeline.deps, shardRef(ref, 7))).rejects.toThrow(/has no shard 7/);
  });
});

describe('readShardItems', () => {
  it("gives the shard's items in stored order, each with its annotations", async () => {
    const ref = await plannedExport(pipeline);
    const items = await readShardItems(
      pipeline.deps,
      await loadShard(pipeline.deps, shardRef(ref, 1)),
    );
    expect(items.map((i) => [i.name, i.url, i.annotations.length])).toEqual([
      ['img2.png', 'datasets/Parks/img2.png', 2],
      ['img3.png', 'datasets/Parks/img3.png', 2],
    ]);
    expect(items[0]!.annotations.map((a) => a.instance_id)).toEqual([1, 2]);
  });
});

describe('renderFiles', () => {
  it('stages per-dataset files for package, spools per-item files, and lists the media to copy', async () => {
    const { ref, rendered } = await renderedShard(0);
    expect(rendered.sources).toEqual([
      { path: 'datasets/Parks/img0.png', key: 'projects/p/datasets/d1/media/img0.png' },
      { path: 'datasets/Parks/img1.png', key: 'projects/p/datasets/d1/media/img1.png' },
    ]);
    const spooled: string[] = [];
    for await (const file of rendered.files.files()) spooled.push(file.path);
    // Darknet writes each item's labels twice: under annotations/ and beside its image.
    expect(spooled).toEqual([
      'annotations/Parks/img0.txt',
      'datasets/Parks/img0.txt',
      'annotations/Parks/img1.txt',
      'datasets/Parks/img1.txt',
    ]);
    expect(rendered.annotations).toBe(4);
    const parts = pipeline.aws.keys(BUCKETS.exports, workKeys.shardParts(ref.exportId, 0));
    expect(parts.map((k) => k.split('/').slice(4).join('/'))).toContain(
      'annotations/Parks/darknet.labels',
    );
  });
});

describe('stageShard', () => {
  it("writes the shard's segment — its media, then its files — with an index that places every entry", async () => {
    const ref = await plannedExport(pipeline);
    const stats = await renderShard(pipeline.deps, shardRef(ref, 0));
    const zip = await openZip(await segmentAsZip(pipeline, ref.exportId, 0));
    expect(zip.names).toEqual([
      'datasets/Parks/img0.png',
      'datasets/Parks/img1.png',
      'annotations/Parks/img0.txt',
      'datasets/Parks/img0.txt',
      'annotations/Parks/img1.txt',
      'datasets/Parks/img1.txt',
    ]);
    expect(
      Buffer.from(await zip.bytes('datasets/Parks/img1.png')).equals(noise('img1.png', 300)),
    ).toBe(true);
    expect(await zip.text('annotations/Parks/img0.txt')).toMatch(/^0 0\.\d+ 0\.\d+ /);
    await zip.close();
    const segment = exportObject(workKeys.segment(ref.exportId, 0))!;
    expect(stats.segment).toEqual({ bytes: segment.length, crc32: crc32(segment), entries: 6 });
  });
});

describe('stageShard: the password and retries', () => {
  it('enciphers the entries with the password it reads from secrets/', async () => {
    const ref = await plannedExport(pipeline, { password: 'shard secret' });
    await renderShard(pipeline.deps, shardRef(ref, 2));
    const archive = await segmentAsZip(pipeline, ref.exportId, 2);
    const zip = await openZip(archive, 'shard secret');
    expect(zip.entries.every((e) => e.encrypted && !e.zipCrypto)).toBe(true);
    expect(
      Buffer.from(await zip.bytes('datasets/Parks/img4.png')).equals(noise('img4.png', 300)),
    ).toBe(true);
    await zip.close();
    expect(archive.includes(Buffer.from('shard secret'))).toBe(false);
  });

  it('fails naming the password once it is gone', async () => {
    const ref = await plannedExport(pipeline, { password: 'shard secret' });
    pipeline.aws.objects.delete(`${BUCKETS.exports}/${recordKeys.secret(ref.exportId)}`);
    await expect(renderShard(pipeline.deps, shardRef(ref, 0))).rejects.toMatchObject({
      name: 'NotFoundError',
      message: `the password of export ${ref.exportId} is no longer available`,
    });
    expect(exportObject(workKeys.stats(ref.exportId, 0))).toBeUndefined();
  });

  it('writes the same segment, index and stats again when retried', async () => {
    const ref = await plannedExport(pipeline);
    await renderShard(pipeline.deps, shardRef(ref, 1));
    const keys = [workKeys.segment, workKeys.segmentIndex, workKeys.stats].map((key) =>
      key(ref.exportId, 1),
    );
    const first = keys.map((key) => exportObject(key)!);
    await renderShard(pipeline.deps, shardRef(ref, 1));
    keys.forEach((key, n) => expect(exportObject(key)!.equals(first[n]!), key).toBe(true));
  });

  it('marks the shard done last: no stats object when the segment cannot be written', async () => {
    const { ref, shard, rendered } = await renderedShard(0);
    pipeline.aws.objects.delete(`${BUCKETS.data}/projects/${P}/datasets/d1/media/img1.png`);
    await expect(stageShard(pipeline.deps, ref, shard, { ...rendered, items: 2 })).rejects.toThrow(
      'projects/p/datasets/d1/media/img1.png does not exist',
    );
    expect(exportObject(workKeys.stats(ref.exportId, 0))).toBeUndefined();
  });
});
