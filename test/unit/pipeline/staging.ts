/**
 * An export staged stage by stage against the fake S3 (test/unit/api/fake-aws.ts): a small
 * project store of images with boxes, an export started as the API starts one, then planned and
 * rendered by the pipeline's own cores.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { centralDirectory, readSegmentIndex } from '../../../shared/archive';
import { startExport, type StartDeps } from '../../../shared/exports/start';
import type { ExportRequest } from '../../../shared/exports/request';
import { planExport } from '../../../shared/pipeline/plan';
import { renderShard } from '../../../shared/pipeline/render';
import { workKeys, type ExportRef, type PipelineDeps } from '../../../shared/pipeline/work';
import { StoreWriter } from '../../../shared/store/writer';
import { aBox, anItem, aTask } from '../../helpers/builders';
import { BUCKETS, fakeAws, type FakeAws } from '../api/fake-aws';

export const P = 'p';

export interface FakePipeline {
  aws: FakeAws;
  deps: PipelineDeps;
}

export function fakePipeline(shardItems: number): FakePipeline {
  const aws = fakeAws();
  const deps = {
    s3: aws.deps.s3,
    dataBucket: BUCKETS.data,
    exportBucket: BUCKETS.exports,
    shardItems,
  };
  return { aws, deps };
}

/** Reproducible bytes that do not compress: sha256 in counter mode. */
export function noise(seed: string, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let block = 0; block * 32 < length; block++)
    createHash('sha256')
      .update(`${seed}:${block}`)
      .digest()
      .copy(out, block * 32);
  return out;
}

/**
 * A project with one object detection task over dataset d1: `count` images named
 * `img{n}.png` of `bytes(n)` bytes, each with two boxes.
 */
export async function seedImages(
  pipeline: FakePipeline,
  count: number,
  bytes: (n: number) => number = () => 300,
): Promise<void> {
  const writer = new StoreWriter(pipeline.deps.s3, BUCKETS.data, P);
  await writer.project({ id: P, name: 'project', created_at: '2024-01-01T00:00:00.000Z' });
  await writer.task(aTask());
  await writer.dataset({ id: 'd1', name: 'Parks', media: 'image', item_metadata_definitions: [] });
  const items = Array.from({ length: count }, (_, index) =>
    anItem({ index, name: `img${index}.png` }),
  );
  await writer.items('d1', items);
  const boxes = items.flatMap((item) => [
    aBox({ x: 1, y: 2, w: 10, h: 8 }, { dataset_item_index: item.index }),
    aBox({ x: 20, y: 10, w: 5, h: 5 }, { dataset_item_index: item.index, instance_id: 2 }),
  ]);
  await writer.annotations('t1', 'd1', boxes);
  for (const item of items)
    await writer.media('d1', item.media_key, noise(item.name, bytes(item.index)), 'image/png');
}

/** How an export is started: another clock, a given id (the same export in two fakes). */
export interface ExportStart {
  deps?: StartDeps;
  exportId?: string;
}

/** An export of the seeded task, started and planned: its shards are ready to render. */
export async function plannedExport(
  pipeline: FakePipeline,
  request: Partial<ExportRequest> = {},
  start: ExportStart = {},
): Promise<ExportRef & { shards: number }> {
  const body = { type: 'both', taskId: 't1', format: 'yolo_darknet', ...request };
  const record = await startExport(start.deps ?? pipeline.aws.deps, P, body, start.exportId);
  const ref = { exportId: record.id, projectId: P };
  const planned = await planExport(pipeline.deps, ref);
  return { ...ref, shards: planned.shardCount };
}

/** An export started, planned and rendered: ready for package. */
export async function renderedExport(
  pipeline: FakePipeline,
  request: Partial<ExportRequest> = {},
  order?: (shards: number[]) => number[],
  start: ExportStart = {},
): Promise<ExportRef & { shards: number }> {
  const ref = await plannedExport(pipeline, request, start);
  const shards = Array.from({ length: ref.shards }, (_, n) => n);
  for (const index of order ? order(shards) : shards)
    await renderShard(pipeline.deps, { ...ref, shard: { index } });
  return ref;
}

/**
 * A shard's segment followed by the central directory of its index: a zip of the shard's
 * entries alone, which an independent reader can open.
 */
export async function segmentAsZip(
  pipeline: FakePipeline,
  exportId: string,
  shard: number,
): Promise<Buffer> {
  const segment = pipeline.aws.objects.get(
    `${BUCKETS.exports}/${workKeys.segment(exportId, shard)}`,
  )!;
  const index = pipeline.aws.objects.get(
    `${BUCKETS.exports}/${workKeys.segmentIndex(exportId, shard)}`,
  )!;
  const { entries } = await readSegmentIndex([index]);
  const end: Buffer[] = [];
  for await (const chunk of Readable.from(centralDirectory(entries, { offset: segment.length })))
    end.push(chunk as Buffer);
  return Buffer.concat([segment, ...end]);
}
