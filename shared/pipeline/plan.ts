import { getText, putText } from '../aws/s3';
import { NotFoundError, ValidationError } from '../errors';
import { RecordStore } from '../exports/record';
import type { ExportRequest } from '../exports/request';
import { findFormat, formatFor } from '../formats/index';
import type { MaskKind } from '../formats/types';
import type { Dataset, Task } from '../model/types';
import { MAX_MASK_PIXELS, type ItemLimits } from '../model/validate';
import { UniqueNames, withoutWhitespace } from '../names';
import { assignSubsets } from '../split/index';
import { StoreReader } from '../store/reader';
import {
  workKeys,
  type ExportRef,
  type PipelineDeps,
  type Plan,
  type ShardLine,
  type ShardPlan,
  type ShardRef,
} from './work';

/** Bytes of shard input held in memory before the buffers are flushed as chunk objects. */
const FLUSH_BYTES = 16 * 1024 * 1024;

interface PlannedItem {
  datasetIndex: number;
  index: number;
  storedName: string;
  createdAt: string;
  latestUpdate: string | null;
  shard: number;
}

/**
 * Plan (DESIGN §11): validates the export against the store, resolves its datasets, applies the
 * date range and the split, cuts the items into shards, and writes each shard's input (its items
 * and their annotations, in stored order) so that every later stage reads only its own shard.
 * Every line of the store is validated here: a bad line fails the export before anything renders.
 */
export async function planExport(
  deps: PipelineDeps,
  ref: ExportRef,
): Promise<{ exportId: string; projectId: string; shards: ShardRef[] }> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.get(ref.projectId, ref.exportId);
  await records.update(ref.projectId, ref.exportId, {
    status: 'RUNNING',
    started_at: new Date().toISOString(),
  });
  const request = record.request as ExportRequest;
  const store = new StoreReader(deps.s3, deps.dataBucket, ref.projectId);
  await store.project();

  const task = request.taskId ? await store.task(request.taskId) : null;
  const datasetIds = resolveDatasetIds(request, task);
  const datasets: Dataset[] = [];
  for (const id of datasetIds) datasets.push(await store.dataset(id));
  if (task) {
    if (request.format) formatFor(request.format, task.type, task.media, request.maskKind);
    const wrongMedia = datasets.filter((d) => d.media !== task.media);
    if (wrongMedia.length > 0) {
      throw new ValidationError(
        wrongMedia.map(
          (d) => `dataset ${d.id} holds ${d.media}s but task ${task.id} is a ${task.media} task`,
        ),
      );
    }
  }
  // Formats that write paths into whitespace-separated text get whitespace-free names throughout,
  // so that the media files and the lines pointing at them agree.
  const archiveName =
    request.format && findFormat(request.format)?.whitespaceFreePaths
      ? withoutWhitespace
      : (name: string) => name;
  const folders = new UniqueNames();
  const planned = datasets.map((dataset) => ({
    dataset,
    folder: folders.claim(archiveName(dataset.name)),
  }));

  // Pass 1: every item and annotation validated; the latest annotation time per item for dateRange.
  const items: PlannedItem[] = [];
  for (const [datasetIndex, dataset] of datasets.entries()) {
    const byIndex = new Map<number, PlannedItem>();
    for await (const item of store.items(dataset.id, itemLimits(request))) {
      const entry = {
        datasetIndex,
        index: item.index,
        storedName: item.name,
        createdAt: item.created_at,
        latestUpdate: null,
        shard: -1,
      };
      byIndex.set(item.index, entry);
      items.push(entry);
    }
    if (!task) continue;
    for await (const annotation of store.annotations(task, dataset.id, new Set(byIndex.keys()))) {
      const entry = byIndex.get(annotation.dataset_item_index)!;
      if (entry.latestUpdate === null || annotation.updated_at > entry.latestUpdate)
        entry.latestUpdate = annotation.updated_at;
    }
  }

  const kept = items.filter(inDateRange(request, task));
  const subsets = request.split ? request.split.subsets.map((s) => s.name) : null;
  const subsetOf = request.split
    ? assignSubsets(
        {
          subsets: request.split.subsets,
          seed: request.split.seed ?? 0,
          mode: request.split.mode ?? 'random',
        },
        kept.map((i) => ({ datasetId: datasets[i.datasetIndex]!.id, itemName: i.storedName })),
      )
    : kept.map(() => 0);

  // Shards: per subset, per dataset, items in stored order, at most shardItems each.
  const shards: ShardPlan[] = [];
  for (const [subsetIndex, subset] of (subsets ?? [null]).entries()) {
    for (const [datasetIndex, dataset] of datasets.entries()) {
      let current: ShardPlan | null = null;
      kept.forEach((item, k) => {
        if (item.datasetIndex !== datasetIndex || subsetOf[k] !== subsetIndex) return;
        if (!current || current.items === deps.shardItems) {
          current = { index: shards.length, datasetId: dataset.id, subset, items: 0 };
          shards.push(current);
        }
        item.shard = current.index;
        current.items++;
      });
    }
  }

  await writeShardInputs(deps, ref.exportId, store, task, datasets, kept, archiveName);

  const plan: Plan = {
    exportId: ref.exportId,
    projectId: ref.projectId,
    exportName: record.name,
    createdAt: record.created_at,
    type: request.type,
    format: request.format ?? null,
    maskKind: (request.maskKind as MaskKind | undefined) ?? null,
    task,
    datasets: planned,
    subsets,
    shards,
  };
  await putText(deps.s3, deps.exportBucket, workKeys.plan(ref.exportId), JSON.stringify(plan));
  await records.update(ref.projectId, ref.exportId, {
    progress: { done: 0, total: shards.length },
  });
  const kind = request.format === 'masks' ? 'masks' : 'render';
  return {
    exportId: ref.exportId,
    projectId: ref.projectId,
    shards: shards.map((s) => ({ index: s.index, kind })),
  };
}

/** Masks hold a buffer per image: their exports cap the pixels of an item (DESIGN §16). */
function itemLimits(request: ExportRequest): ItemLimits {
  return request.format === 'masks' ? { maxPixels: MAX_MASK_PIXELS } : {};
}

function resolveDatasetIds(request: ExportRequest, task: Task | null): string[] {
  if (!task) return request.datasetIds ?? [];
  if (!request.datasetIds) return task.dataset_ids;
  const foreign = request.datasetIds.filter((id) => !task.dataset_ids.includes(id));
  if (foreign.length > 0) {
    throw new ValidationError(
      foreign.map((id) => `dataset ${id} is not a dataset of task ${task.id}`),
    );
  }
  return request.datasetIds;
}

/** An item stays when its latest annotation (or, for type datasets, its creation) falls in [from, to). */
function inDateRange(request: ExportRequest, task: Task | null): (item: PlannedItem) => boolean {
  const range = request.dateRange;
  if (!range) return () => true;
  const from = range.from ? Date.parse(range.from) : -Infinity;
  const to = range.to ? Date.parse(range.to) : Infinity;
  const byCreation = request.type === 'datasets' || !task;
  return (item) => {
    const when = byCreation ? item.createdAt : item.latestUpdate;
    if (when === null) return false;
    const t = Date.parse(when);
    return t >= from && t < to;
  };
}

/**
 * Pass 2: copies each kept item and its annotations to its shard's input. Buffers are flushed as
 * numbered chunk objects whenever they hold FLUSH_BYTES, so memory stays bounded while the store
 * is read once, in order (chunk order preserves the stored order of annotations).
 */
async function writeShardInputs(
  deps: PipelineDeps,
  exportId: string,
  store: StoreReader,
  task: Task | null,
  datasets: Dataset[],
  kept: PlannedItem[],
  archiveName: (name: string) => string,
): Promise<void> {
  const buffers = new Map<number, string[]>();
  const chunks = new Map<number, number>();
  let buffered = 0;
  const flush = async () => {
    const writes = [...buffers.entries()].map(([shard, lines]) => {
      const chunk = chunks.get(shard) ?? 0;
      chunks.set(shard, chunk + 1);
      return putText(
        deps.s3,
        deps.exportBucket,
        workKeys.shardChunk(exportId, shard, chunk),
        lines.join(''),
        'application/x-ndjson',
      );
    });
    buffers.clear();
    buffered = 0;
    for (let i = 0; i < writes.length; i += 16) await Promise.all(writes.slice(i, i + 16));
  };
  const add = async (shard: number, line: ShardLine) => {
    const text = JSON.stringify(line) + '\n';
    const list = buffers.get(shard) ?? [];
    list.push(text);
    buffers.set(shard, list);
    buffered += text.length;
    if (buffered >= FLUSH_BYTES) await flush();
  };
  for (const [datasetIndex, dataset] of datasets.entries()) {
    const shardOf = new Map<number, number>();
    for (const item of kept)
      if (item.datasetIndex === datasetIndex) shardOf.set(item.index, item.shard);
    if (shardOf.size === 0) continue;
    const names = new UniqueNames({ keepFolders: true });
    for await (const item of store.items(dataset.id)) {
      const shard = shardOf.get(item.index);
      const name = names.claim(archiveName(item.name));
      if (shard !== undefined) await add(shard, { item, name });
    }
    if (!task) continue;
    for await (const annotation of store.annotations(task, dataset.id)) {
      const shard = shardOf.get(annotation.dataset_item_index);
      if (shard !== undefined) await add(shard, { annotation });
    }
  }
  await flush();
}

/** Reads back a plan for the later stages. */
export async function readPlan(deps: PipelineDeps, exportId: string): Promise<Plan> {
  try {
    return JSON.parse(await getText(deps.s3, deps.exportBucket, workKeys.plan(exportId))) as Plan;
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`export ${exportId} has no plan`, { cause: error });
    throw error;
  }
}
