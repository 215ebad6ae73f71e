import { getBytes, getStream, listKeys, putText, readLines } from '../aws/s3';
import { ValidationError } from '../errors';
import { RecordStore } from '../exports/record';
import { formatFor } from '../formats/index';
import type { ExportItem, Format, RenderedFile } from '../formats/types';
import type { Annotation, Dataset } from '../model/types';
import { extension } from '../names';
import { storeKeys } from '../store/keys';
import { FileSpool } from './bundle';
import { readPlan } from './plan';
import { readZipSecrets } from './secret';
import { writeShardSegment, type SourceEntry } from './segment-writer';
import {
  subsetPrefix,
  workKeys,
  type ExportRef,
  type PipelineDeps,
  type Plan,
  type ShardLine,
  type ShardPlan,
  type ShardStats,
} from './work';

export type { SourceEntry } from './segment-writer';

/** What every step of one shard knows about it: the export's plan and the shard's place in it. */
export interface ShardContext {
  plan: Plan;
  shard: ShardPlan;
  dataset: Dataset;
  /** The dataset's folder in the archive. */
  folder: string;
  /** `{subset}/` or the root. */
  prefix: string;
  format: Format | undefined;
  /** Whether the export holds dataset media (type `datasets` or `both`). */
  withDatasets: boolean;
}

/** What rendering a shard gave: the store objects to copy, the per-item files, the counts. */
export interface RenderedShard {
  sources: SourceEntry[];
  files: FileSpool;
  annotations: number;
  warnings: string[];
}

/**
 * Render (or masks) for one shard (DESIGN §11): reads the shard's input, runs the format's pure
 * renderer, and writes everything the shard owns in the archive as its zip segment — the store
 * objects it copies (dataset media, video frames), then its per-item files — with the segment's
 * index; the per-dataset files that package merges stay apart under `work/{exportId}/parts/`.
 * The stats object, written last, marks the shard done.
 */
export async function renderShard(
  deps: PipelineDeps,
  ref: ExportRef & { shard: { index: number } },
): Promise<ShardStats> {
  const shard = await loadShard(deps, ref);
  const items = await readShardItems(deps, shard);
  const rendered = await renderFiles(deps, shard, items);
  return stageShard(deps, ref, shard, { items: items.length, ...rendered });
}

/** The shard's plan, dataset and format. */
export async function loadShard(
  deps: PipelineDeps,
  ref: ExportRef & { shard: { index: number } },
): Promise<ShardContext> {
  const plan = await readPlan(deps, ref.exportId);
  const shard = plan.shards[ref.shard.index];
  if (!shard) throw new Error(`export ${ref.exportId} has no shard ${ref.shard.index}`);
  const { dataset, folder } = plan.datasets.find((d) => d.dataset.id === shard.datasetId)!;
  const format =
    plan.format && plan.task
      ? formatFor(plan.format, plan.task.type, plan.task.media, plan.maskKind ?? undefined)
      : undefined;
  const prefix = subsetPrefix(shard.subset);
  return {
    plan,
    shard,
    dataset,
    folder,
    prefix,
    format,
    withDatasets: plan.type !== 'annotations',
  };
}

/** Archive path of an item's media: the format's own layout, or `datasets/{folder}/{name}`. */
function mediaPath(shard: ShardContext, name: string): string {
  return shard.format?.mediaPath
    ? shard.format.mediaPath(shard.shard.subset, shard.folder, name)
    : `${shard.prefix}datasets/${shard.folder}/${name}`;
}

/** The shard's items with their annotations (and a video's frames), from its input chunks. */
export async function readShardItems(
  deps: PipelineDeps,
  shard: ShardContext,
): Promise<ExportItem[]> {
  const items: ExportItem[] = [];
  const byIndex = new Map<number, ExportItem>();
  const orphans: Annotation[] = [];
  const input = workKeys.shardInput(shard.plan.exportId, shard.shard.index);
  for await (const { key } of listKeys(deps.s3, deps.exportBucket, input)) {
    for await (const { line } of readLines(await getStream(deps.s3, deps.exportBucket, key))) {
      if (!line) continue;
      const entry = JSON.parse(line) as ShardLine;
      if ('item' in entry) {
        const item = exportItem(deps, shard, entry);
        items.push(item);
        byIndex.set(entry.item.index, item);
      } else {
        orphans.push(entry.annotation);
      }
    }
  }
  // Items are written before their annotations, but chunks can split them: attach after reading.
  for (const annotation of orphans)
    byIndex.get(annotation.dataset_item_index)?.annotations.push(annotation);
  if (shard.dataset.media === 'video') await attachFrames(deps, shard.dataset, items);
  return items;
}

function exportItem(
  deps: PipelineDeps,
  shard: ShardContext,
  entry: Extract<ShardLine, { item: unknown }>,
): ExportItem {
  const mediaKey = storeKeys.media(shard.plan.projectId, shard.dataset.id, entry.item.media_key);
  return {
    item: entry.item,
    name: entry.name,
    annotations: [],
    url: shard.withDatasets ? mediaPath(shard, entry.name) : `s3://${deps.dataBucket}/${mediaKey}`,
    mediaKey,
    frames: [],
  };
}

async function attachFrames(deps: PipelineDeps, dataset: Dataset, items: ExportItem[]) {
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

/**
 * Runs the format's renderer over the shard's items: per-dataset files are staged for package
 * to merge, store objects are listed with the shard's media, per-item files are spooled.
 */
export async function renderFiles(
  deps: PipelineDeps,
  shard: ShardContext,
  items: ExportItem[],
): Promise<RenderedShard> {
  const warnings: string[] = [];
  const sources: SourceEntry[] = [];
  const files = new FileSpool(bundleStore(deps, shard));
  let annotations = 0;
  const { format, plan } = shard;
  if (format && plan.task) {
    for await (const file of format.render({
      exportName: plan.exportName,
      createdAt: plan.createdAt,
      task: plan.task,
      dataset: shard.dataset,
      datasetFolder: shard.folder,
      items,
      subset: shard.shard.subset,
      subsets: subsetsWithItems(plan),
      ...(plan.maskKind ? { maskKind: plan.maskKind } : {}),
      warn: (message) => warnings.push(message),
    }))
      await routeFile(deps, shard, file, { sources, files });
    for (const item of items) annotations += item.annotations.length;
  }
  if (shard.withDatasets) sources.push(...mediaSources(shard, items));
  return { sources: inArchiveOrder(shard, sources), files, annotations, warnings };
}

/** Where a rendered file goes: a source to copy, a part to merge, or a per-item file. */
async function routeFile(
  deps: PipelineDeps,
  shard: ShardContext,
  file: RenderedFile,
  into: { sources: SourceEntry[]; files: FileSpool },
): Promise<void> {
  const path = file.root ? file.path : `${shard.prefix}annotations/${shard.folder}/${file.path}`;
  if ('source' in file) into.sources.push({ path, key: file.source });
  else if (shard.format!.merges.some((r) => !!r.root === !!file.root && r.matches(file.path)))
    // Per-dataset files stay apart: package merges them across shards.
    await putText(
      deps.s3,
      deps.exportBucket,
      workKeys.part(shard.plan.exportId, shard.shard.index, path),
      file.body,
      'application/octet-stream',
    );
  else await into.files.add(path, file.body);
}

function bundleStore(deps: PipelineDeps, shard: ShardContext) {
  const key = (n: number) => workKeys.bundle(shard.plan.exportId, shard.shard.index, n);
  return {
    put: (n: number, bundle: Buffer) =>
      putText(deps.s3, deps.exportBucket, key(n), bundle, 'application/octet-stream'),
    get: (n: number) => getBytes(deps.s3, deps.exportBucket, key(n)),
  };
}

/** Each item's media (a video's frames) at its archive path. */
function mediaSources(shard: ShardContext, items: ExportItem[]): SourceEntry[] {
  const sources: SourceEntry[] = [];
  for (const item of items) {
    if (shard.dataset.media !== 'video') {
      sources.push({ path: mediaPath(shard, item.name), key: item.mediaKey });
      continue;
    }
    for (const frame of item.frames)
      sources.push({
        path: `${shard.prefix}datasets/${shard.folder}/${item.name}/${frame.index}.${frame.ext}`,
        key: frame.key,
      });
  }
  return sources;
}

/** Media first, then the annotation-side copies, so the archive lists datasets/ before annotations/. */
function inArchiveOrder(shard: ShardContext, sources: SourceEntry[]): SourceEntry[] {
  const annotationSide = (s: SourceEntry) =>
    Number(s.path.startsWith(`${shard.prefix}annotations/`));
  return sources.sort((a, b) => annotationSide(a) - annotationSide(b));
}

/** The subsets that hold items, in the request's order: empty subsets have no folder to point at. */
function subsetsWithItems(plan: Plan): string[] | null {
  if (!plan.subsets) return null;
  const used = new Set(plan.shards.map((s) => s.subset));
  return plan.subsets.filter((name) => used.has(name));
}

/**
 * Writes the shard's segment (its sources copied from the store, then its files) and the
 * segment's index, then the stats object that marks the shard done. The password is read here,
 * from `secrets/`: the shard enciphers its own entries. A retry writes the same keys again.
 */
export async function stageShard(
  deps: PipelineDeps,
  ref: ExportRef,
  shard: ShardContext,
  rendered: RenderedShard & { items: number },
): Promise<ShardStats> {
  const record = await new RecordStore(deps.s3, deps.exportBucket).get(ref.projectId, ref.exportId);
  const segment = await writeShardSegment(
    deps,
    { exportId: ref.exportId, shard: shard.shard.index },
    { ...(await readZipSecrets(deps, record)), date: new Date(shard.plan.createdAt) },
    async (writer) => {
      await writer.addSources(rendered.sources, (key) => getStream(deps.s3, deps.dataBucket, key));
      for await (const file of rendered.files.files()) await writer.add(file.path, file.body);
    },
  );
  const stats: ShardStats = {
    index: shard.shard.index,
    items: rendered.items,
    annotations: rendered.annotations,
    warnings: rendered.warnings,
    segment,
  };
  await putText(
    deps.s3,
    deps.exportBucket,
    workKeys.stats(ref.exportId, shard.shard.index),
    JSON.stringify(stats),
  );
  return stats;
}
