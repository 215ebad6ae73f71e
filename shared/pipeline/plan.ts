import { getText, putText } from '../aws/s3';
import { NotFoundError, ValidationError } from '../errors';
import { parseDateTime, parseStoreTime } from '../dates';
import { RecordStore, type ExportRecord } from '../exports/record';
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
  type ObjectLocation,
  type PipelineDeps,
  type Plan,
  type PlanOutput,
  type ShardEvent,
  type ShardLine,
  type ShardPlan,
  type ShardRef,
} from './work';

/** Bytes of shard input held in memory before the buffers are flushed as chunk objects. */
const FLUSH_BYTES = 16 * 1024 * 1024;
/** Chunk objects written at once. */
const PARALLEL_WRITES = 16;

/** What an export covers: its task (none for a datasets export) and its datasets in order. */
export interface PlanScope {
  task: Task | null;
  /** Each dataset with its folder in the archive, unique among the export's datasets. */
  datasets: Array<{ dataset: Dataset; folder: string }>;
  /** How a stored name is written into the archive. */
  archiveName: (name: string) => string;
}

/** A stored item as the filters see it. */
export interface ScannedItem {
  datasetIndex: number;
  index: number;
  storedName: string;
  createdAt: string;
  /** The `updated_at` of its latest annotation; null when it has none. */
  latestUpdate: string | null;
}

/** The items that pass the filters, each with the index of its subset (0 without a split). */
export interface Selection {
  subsets: string[] | null;
  items: Array<ScannedItem & { subset: number }>;
}

/** An item of the export and the shard it was cut into. */
export interface PlacedItem {
  datasetIndex: number;
  index: number;
  shard: number;
}

/**
 * Plan (DESIGN §11): validates the export against the store, resolves its datasets, applies the
 * date range and the split, cuts the items into shards, and writes each shard's input (its items
 * and their annotations, in stored order) so that every later stage reads only its own shard.
 * Every line of the store is validated here: a bad line fails the export before anything renders.
 */
export async function planExport(deps: PipelineDeps, ref: ExportRef): Promise<PlanOutput> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.get(ref.projectId, ref.exportId);
  await records.update(ref.projectId, ref.exportId, {
    status: 'RUNNING',
    started_at: new Date().toISOString(),
  });
  const request = record.request as ExportRequest;
  const store = new StoreReader(deps.s3, deps.dataBucket, ref.projectId);
  const scope = await resolveScope(store, request);
  const scanned = await scanItems(store, scope, itemLimits(request));
  const selection = applyFilters(request, scope, scanned);
  const { shards, placed } = cutShards(scope, selection, deps.shardItems);
  await writeShardInputs(deps, ref.exportId, store, scope, placed);
  const plan = describePlan(record, scope, selection.subsets, shards);
  await putText(deps.s3, deps.exportBucket, workKeys.plan(ref.exportId), JSON.stringify(plan));
  const kind = request.format === 'masks' ? 'masks' : 'render';
  const refs: ShardRef[] = shards.map((s) => ({ index: s.index, kind }));
  const shardList = await writeShardList(deps, ref, refs);
  await records.update(ref.projectId, ref.exportId, {
    progress: { done: 0, total: shards.length },
  });
  return {
    exportId: ref.exportId,
    projectId: ref.projectId,
    shards: refs,
    shardCount: refs.length,
    shardList,
  };
}

/**
 * The project, task and datasets an export names, read and checked: the datasets are the task's
 * (all of them unless the request names some), hold the task's media, and the format serves the
 * task. Formats that write paths into whitespace-separated text get whitespace-free names
 * throughout, so that the media files and the lines pointing at them agree.
 */
export async function resolveScope(store: StoreReader, request: ExportRequest): Promise<PlanScope> {
  await store.project();
  const task = request.taskId ? await store.task(request.taskId) : null;
  const datasets: Dataset[] = [];
  for (const id of resolveDatasetIds(request, task)) datasets.push(await store.dataset(id));
  if (task) checkTaskServes(request, task, datasets);
  const archiveName =
    request.format && findFormat(request.format)?.whitespaceFreePaths
      ? withoutWhitespace
      : (name: string) => name;
  const folders = new UniqueNames();
  return {
    task,
    datasets: datasets.map((dataset) => ({
      dataset,
      folder: folders.claim(archiveName(dataset.name)),
    })),
    archiveName,
  };
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

function checkTaskServes(request: ExportRequest, task: Task, datasets: Dataset[]): void {
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

/** Masks hold a buffer per image: their exports cap the pixels of an item (DESIGN §16). */
function itemLimits(request: ExportRequest): ItemLimits {
  return request.format === 'masks' ? { maxPixels: MAX_MASK_PIXELS } : {};
}

/**
 * Pass 1: every item and annotation of the scope read and validated, the items in stored order,
 * each with the time of its latest annotation (for the date range).
 */
export async function scanItems(
  store: StoreReader,
  scope: PlanScope,
  limits: ItemLimits = {},
): Promise<ScannedItem[]> {
  const items: ScannedItem[] = [];
  for (const [datasetIndex, { dataset }] of scope.datasets.entries()) {
    const byIndex = new Map<number, ScannedItem>();
    for await (const item of store.items(dataset.id, limits)) {
      byIndex.set(item.index, {
        datasetIndex,
        index: item.index,
        storedName: item.name,
        createdAt: item.created_at,
        latestUpdate: null,
      });
    }
    if (scope.task) await noteLatestUpdates(store, scope.task, dataset.id, byIndex);
    for (const item of byIndex.values()) items.push(item);
  }
  return items;
}

async function noteLatestUpdates(
  store: StoreReader,
  task: Task,
  datasetId: string,
  byIndex: Map<number, ScannedItem>,
): Promise<void> {
  // Compared as instants: timestamps with different offsets do not sort as text.
  const latestInstant = new Map<number, number>();
  for await (const annotation of store.annotations(task, datasetId, new Set(byIndex.keys()))) {
    const index = annotation.dataset_item_index;
    const instant = parseStoreTime(annotation.updated_at)!;
    const latest = latestInstant.get(index);
    if (latest === undefined || instant > latest) {
      latestInstant.set(index, instant);
      byIndex.get(index)!.latestUpdate = annotation.updated_at;
    }
  }
}

/** The items in the request's date range, each assigned to a subset of its split. */
export function applyFilters(
  request: ExportRequest,
  scope: PlanScope,
  items: readonly ScannedItem[],
): Selection {
  const kept = items.filter(inDateRange(request, scope.task));
  const split = request.split;
  if (!split) return { subsets: null, items: kept.map((item) => ({ ...item, subset: 0 })) };
  const subsetOf = assignSubsets(
    { subsets: split.subsets, seed: split.seed ?? 0, mode: split.mode ?? 'random' },
    kept.map((i) => ({
      datasetId: scope.datasets[i.datasetIndex]!.dataset.id,
      itemName: i.storedName,
    })),
  );
  return {
    subsets: split.subsets.map((s) => s.name),
    items: kept.map((item, k) => ({ ...item, subset: subsetOf[k]! })),
  };
}

/** An item stays when its latest annotation (or, for type datasets, its creation) falls in [from, to). */
function inDateRange(request: ExportRequest, task: Task | null): (item: ScannedItem) => boolean {
  const range = request.dateRange;
  if (!range) return () => true;
  const from = range.from ? parseDateTime(range.from)! : -Infinity;
  const to = range.to ? parseDateTime(range.to)! : Infinity;
  const byCreation = request.type === 'datasets' || !task;
  return (item) => {
    const when = byCreation ? item.createdAt : item.latestUpdate;
    if (when === null) return false;
    const t = parseStoreTime(when)!;
    return t >= from && t < to;
  };
}

/**
 * Shards: per subset, per dataset, the items in stored order, at most `shardItems` each. A shard
 * never mixes datasets or subsets, so each later stage renders one dataset into one folder.
 */
export function cutShards(
  scope: PlanScope,
  selection: Selection,
  shardItems: number,
): { shards: ShardPlan[]; placed: PlacedItem[] } {
  const datasetCount = scope.datasets.length;
  const groups = Array.from(
    { length: (selection.subsets?.length ?? 1) * datasetCount },
    () => [] as Selection['items'],
  );
  for (const item of selection.items)
    groups[item.subset * datasetCount + item.datasetIndex]!.push(item);
  const shards: ShardPlan[] = [];
  const placed: PlacedItem[] = [];
  groups.forEach((group, g) => {
    const subset = selection.subsets?.[Math.floor(g / datasetCount)] ?? null;
    const datasetId = scope.datasets[g % datasetCount]!.dataset.id;
    for (let start = 0; start < group.length; start += shardItems) {
      const members = group.slice(start, start + shardItems);
      const shard = { index: shards.length, datasetId, subset, items: members.length };
      shards.push(shard);
      for (const { datasetIndex, index } of members)
        placed.push({ datasetIndex, index, shard: shard.index });
    }
  });
  return { shards, placed };
}

/**
 * Pass 2: copies each placed item, under its archive name, and its annotations to its shard's
 * input, reading the store once, in order. Names are claimed for every stored item, placed or not,
 * so that an item keeps its name whatever the filters leave beside it.
 */
export async function writeShardInputs(
  deps: PipelineDeps,
  exportId: string,
  store: StoreReader,
  scope: PlanScope,
  placed: readonly PlacedItem[],
  flushBytes = FLUSH_BYTES,
): Promise<void> {
  const chunks = new ShardChunkWriter(
    (shard, chunk, body) =>
      putText(
        deps.s3,
        deps.exportBucket,
        workKeys.shardChunk(exportId, shard, chunk),
        body,
        'application/x-ndjson',
      ),
    flushBytes,
  );
  for (const [datasetIndex, { dataset }] of scope.datasets.entries()) {
    const shardOf = new Map<number, number>();
    for (const item of placed)
      if (item.datasetIndex === datasetIndex) shardOf.set(item.index, item.shard);
    if (shardOf.size === 0) continue;
    const names = new UniqueNames({ keepFolders: true });
    for await (const item of store.items(dataset.id)) {
      const shard = shardOf.get(item.index);
      const name = names.claim(scope.archiveName(item.name));
      if (shard !== undefined) await chunks.add(shard, { item, name });
    }
    if (!scope.task) continue;
    for await (const annotation of store.annotations(scope.task, dataset.id)) {
      const shard = shardOf.get(annotation.dataset_item_index);
      if (shard !== undefined) await chunks.add(shard, { annotation });
    }
  }
  await chunks.flush();
}

/**
 * Shard input lines buffered per shard and written as numbered chunks whenever the buffers hold
 * `flushBytes`, so that memory stays bounded; chunk order keeps the order lines were added.
 */
class ShardChunkWriter {
  /** Per shard: the lines not written yet, and the number of its next chunk. */
  private readonly shards = new Map<number, { lines: string[]; nextChunk: number }>();
  private buffered = 0;

  constructor(
    private readonly writeChunk: (shard: number, chunk: number, body: string) => Promise<void>,
    private readonly flushBytes: number,
  ) {}

  async add(shard: number, line: ShardLine): Promise<void> {
    const text = JSON.stringify(line) + '\n';
    const pending = this.shards.get(shard) ?? { lines: [], nextChunk: 0 };
    pending.lines.push(text);
    this.shards.set(shard, pending);
    this.buffered += text.length;
    if (this.buffered >= this.flushBytes) await this.flush();
  }

  async flush(): Promise<void> {
    const writes: Array<() => Promise<void>> = [];
    for (const [shard, pending] of this.shards) {
      if (pending.lines.length === 0) continue;
      const chunk = pending.nextChunk++;
      const body = pending.lines.join('');
      pending.lines = [];
      writes.push(() => this.writeChunk(shard, chunk, body));
    }
    this.buffered = 0;
    for (let i = 0; i < writes.length; i += PARALLEL_WRITES)
      await Promise.all(writes.slice(i, i + PARALLEL_WRITES).map((write) => write()));
  }
}

/** `work/{exportId}/plan.json`: what render and package read of the export. */
function describePlan(
  record: ExportRecord,
  scope: PlanScope,
  subsets: string[] | null,
  shards: ShardPlan[],
): Plan {
  const request = record.request as ExportRequest;
  return {
    exportId: record.id,
    projectId: record.projectId,
    exportName: record.name,
    createdAt: record.created_at,
    type: request.type,
    format: request.format ?? null,
    maskKind: (request.maskKind as MaskKind | undefined) ?? null,
    task: scope.task,
    datasets: scope.datasets,
    subsets,
    shards,
  };
}

/**
 * Writes `work/{exportId}/shards.json`: a JSON array of each shard's iteration input, what a
 * Distributed Map's ItemReader reads in place of a list in the state.
 */
export async function writeShardList(
  deps: PipelineDeps,
  ref: ExportRef,
  shards: readonly ShardRef[],
): Promise<ObjectLocation> {
  const key = workKeys.shardList(ref.exportId);
  const list: ShardEvent[] = shards.map((shard) => ({
    exportId: ref.exportId,
    projectId: ref.projectId,
    shard,
  }));
  await putText(deps.s3, deps.exportBucket, key, JSON.stringify(list));
  return { bucket: deps.exportBucket, key };
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
