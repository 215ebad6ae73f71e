import { getStream, listKeys, putText, readLines } from '../aws/s3';
import { ValidationError } from '../errors';
import { formatFor } from '../formats/index';
import type { ExportItem, RenderedFile } from '../formats/types';
import type { Annotation, Dataset } from '../model/types';
import { extension } from '../names';
import { storeKeys } from '../store/keys';
import { encodeBundle } from './bundle';
import { readPlan } from './plan';
import {
  subsetPrefix,
  workKeys,
  type ExportRef,
  type PipelineDeps,
  type Plan,
  type ShardLine,
  type ShardStats,
} from './work';

/** A file package copies from the store into the archive: `{ path in the archive, store key }`. */
export interface SourceEntry {
  path: string;
  key: string;
}

/** Per-item files staged per object: big enough to save requests, small enough for flat memory. */
const BUNDLE_BYTES = 32 * 1024 * 1024;

/**
 * Render (or masks) for one shard (DESIGN §11): reads the shard's input, runs the format's pure
 * renderer, and stages its files with their archive paths: per-item files in one bundle object,
 * per-dataset files that package merges under `work/{exportId}/parts/{shard}/`.
 * Store objects to copy (dataset media, video frames) are listed for package instead of copied.
 * The stats object, written last, marks the shard done.
 */
export async function renderShard(
  deps: PipelineDeps,
  ref: ExportRef & { shard: { index: number } },
): Promise<ShardStats> {
  const plan = await readPlan(deps, ref.exportId);
  const shard = plan.shards[ref.shard.index];
  if (!shard) throw new Error(`export ${ref.exportId} has no shard ${ref.shard.index}`);
  const { dataset, folder } = plan.datasets.find((d) => d.dataset.id === shard.datasetId)!;
  const prefix = subsetPrefix(shard.subset);
  const withDatasets = plan.type !== 'annotations';
  const format =
    plan.format && plan.task
      ? formatFor(plan.format, plan.task.type, plan.task.media, plan.maskKind ?? undefined)
      : undefined;
  const mediaPath = (name: string) =>
    format?.mediaPath
      ? format.mediaPath(shard.subset, folder, name)
      : `${prefix}datasets/${folder}/${name}`;
  const items = await readShardItems(deps, plan, shard.index, dataset, mediaPath, withDatasets);

  const warnings: string[] = [];
  const sources: SourceEntry[] = [];
  let bundled: Array<{ path: string; body: string | Uint8Array }> = [];
  let bundledBytes = 0;
  let bundles = 0;
  // Bundles are cut at BUNDLE_BYTES so that a shard of large masks never sits whole in memory.
  const flushBundle = async () => {
    if (bundled.length === 0) return;
    const body = encodeBundle(bundled);
    bundled = [];
    bundledBytes = 0;
    await putText(
      deps.s3,
      deps.exportBucket,
      workKeys.bundle(ref.exportId, shard.index, bundles++),
      body,
      'application/octet-stream',
    );
  };
  let annotations = 0;
  if (format && plan.task) {
    const annotationsRoot = `${prefix}annotations/${folder}/`;
    const files: AsyncIterable<RenderedFile> = format.render({
      exportName: plan.exportName,
      createdAt: plan.createdAt,
      task: plan.task,
      dataset,
      datasetFolder: folder,
      items,
      subset: shard.subset,
      subsets: subsetsWithItems(plan),
      ...(plan.maskKind ? { maskKind: plan.maskKind } : {}),
      warn: (message) => warnings.push(message),
    });
    for await (const file of files) {
      const path = file.root ? file.path : annotationsRoot + file.path;
      if ('source' in file) sources.push({ path, key: file.source });
      else if (
        format.merges.some((rule) => !!rule.root === !!file.root && rule.matches(file.path))
      ) {
        // Per-dataset files stay apart: package merges them across shards.
        await putText(
          deps.s3,
          deps.exportBucket,
          workKeys.part(ref.exportId, shard.index, path),
          file.body,
          'application/octet-stream',
        );
      } else {
        bundled.push({ path, body: file.body });
        bundledBytes += typeof file.body === 'string' ? file.body.length : file.body.byteLength;
        if (bundledBytes >= BUNDLE_BYTES) await flushBundle();
      }
    }
    for (const item of items) annotations += item.annotations.length;
  }
  await flushBundle();
  if (withDatasets) {
    for (const item of items) {
      if (dataset.media === 'video') {
        for (const frame of item.frames)
          sources.push({
            path: `${prefix}datasets/${folder}/${item.name}/${frame.index}.${frame.ext}`,
            key: frame.key,
          });
      } else {
        sources.push({ path: mediaPath(item.name), key: item.mediaKey });
      }
    }
  }
  // Media first, then the annotation-side copies, so the archive lists datasets/ before annotations/.
  sources.sort(
    (a, b) =>
      Number(a.path.startsWith(`${prefix}annotations/`)) -
      Number(b.path.startsWith(`${prefix}annotations/`)),
  );
  await putText(
    deps.s3,
    deps.exportBucket,
    workKeys.sources(ref.exportId, shard.index),
    sources.map((s) => JSON.stringify(s) + '\n').join(''),
    'application/x-ndjson',
  );
  const stats: ShardStats = { index: shard.index, items: items.length, annotations, warnings };
  await putText(
    deps.s3,
    deps.exportBucket,
    workKeys.stats(ref.exportId, shard.index),
    JSON.stringify(stats),
  );
  return stats;
}

/** The subsets that hold items, in the request's order: empty subsets have no folder to point at. */
function subsetsWithItems(plan: Plan): string[] | null {
  if (!plan.subsets) return null;
  const used = new Set(plan.shards.map((s) => s.subset));
  return plan.subsets.filter((name) => used.has(name));
}

async function readShardItems(
  deps: PipelineDeps,
  plan: Plan,
  shard: number,
  dataset: Dataset,
  mediaPath: (name: string) => string,
  withDatasets: boolean,
): Promise<ExportItem[]> {
  const items: ExportItem[] = [];
  const byIndex = new Map<number, ExportItem>();
  const orphans: Annotation[] = [];
  for await (const { key } of listKeys(
    deps.s3,
    deps.exportBucket,
    workKeys.shardInput(plan.exportId, shard),
  )) {
    for await (const { line } of readLines(await getStream(deps.s3, deps.exportBucket, key))) {
      if (!line) continue;
      const entry = JSON.parse(line) as ShardLine;
      if ('item' in entry) {
        const mediaKey = storeKeys.media(plan.projectId, dataset.id, entry.item.media_key);
        const exportItem: ExportItem = {
          item: entry.item,
          name: entry.name,
          annotations: [],
          url: withDatasets ? mediaPath(entry.name) : `s3://${deps.dataBucket}/${mediaKey}`,
          mediaKey,
          frames: [],
        };
        items.push(exportItem);
        byIndex.set(entry.item.index, exportItem);
      } else {
        orphans.push(entry.annotation);
      }
    }
  }
  // Items are written before their annotations, but chunks can split them: attach after reading.
  for (const annotation of orphans)
    byIndex.get(annotation.dataset_item_index)?.annotations.push(annotation);
  if (dataset.media === 'video') {
    for (const item of items) {
      item.frames = await listFrames(deps, item.mediaKey);
      // A video without frames would give annotations with nothing to point at: the store is broken.
      if (item.frames.length === 0) {
        throw new ValidationError(
          `dataset ${dataset.id}: video "${item.item.name}" has no frame files under media/${item.item.media_key} (frames are named {frame_index}.{ext})`,
        );
      }
    }
  }
  return items;
}

/** A video's frames: the files of its folder named `{frame_index}.{ext}`, in frame order. */
async function listFrames(deps: PipelineDeps, folderKey: string): Promise<ExportItem['frames']> {
  const prefix = folderKey.endsWith('/') ? folderKey : `${folderKey}/`;
  const frames: ExportItem['frames'] = [];
  for await (const { key } of listKeys(deps.s3, deps.dataBucket, prefix)) {
    const file = key.slice(prefix.length);
    const match = file.match(/^(\d+)\.[^./]+$/);
    if (match) frames.push({ index: Number(match[1]), key, ext: extension(file) });
  }
  return frames.sort((a, b) => a.index - b.index);
}
