import { beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import { RecordStore, type ExportRecord } from '../../../shared/exports/record';
import { startExport } from '../../../shared/exports/start';
import type { ExportRequest } from '../../../shared/exports/request';
import type { Annotation, Dataset, DatasetItem, Task } from '../../../shared/model/types';
import { MAX_MASK_PIXELS } from '../../../shared/model/validate';
import {
  applyFilters,
  cutShards,
  planExport,
  readPlan,
  resolveScope,
  scanItems,
  writeShardInputs,
  writeShardList,
  type PlanScope,
  type ScannedItem,
  type Selection,
} from '../../../shared/pipeline/plan';
import {
  workKeys,
  type PipelineDeps,
  type ShardEvent,
  type ShardLine,
} from '../../../shared/pipeline/work';
import { StoreReader } from '../../../shared/store/reader';
import { StoreWriter } from '../../../shared/store/writer';
import { aBox, anItem, aTask } from '../../helpers/builders';
import { BUCKETS, fakeAws, type FakeAws } from '../api/fake-aws';

const P = 'p';
const EXPORT = 'e1';

let aws: FakeAws;
let deps: PipelineDeps;
let store: StoreReader;

beforeEach(() => {
  aws = fakeAws();
  deps = {
    s3: aws.deps.s3,
    dataBucket: BUCKETS.data,
    exportBucket: BUCKETS.exports,
    shardItems: 2,
  };
  store = new StoreReader(aws.deps.s3, BUCKETS.data, P);
});

const aDataset = (id: string, fields: Partial<Dataset> = {}): Dataset => ({
  id,
  name: id,
  media: 'image',
  item_metadata_definitions: [],
  ...fields,
});

/** Items named `{prefix}{n}.png`, indices from 0. */
const someItems = (prefix: string, count: number): DatasetItem[] =>
  Array.from({ length: count }, (_, index) => anItem({ index, name: `${prefix}${index}.png` }));

interface StoredDataset {
  dataset: Dataset;
  items: DatasetItem[];
  annotations?: Annotation[];
}

/** Writes a project store: the task (when given) annotates every dataset given. */
async function seedStore(task: Task | null, datasets: StoredDataset[]): Promise<void> {
  const writer = new StoreWriter(aws.deps.s3, BUCKETS.data, P);
  await writer.project({ id: P, name: 'project', created_at: '2024-01-01T00:00:00.000Z' });
  if (task) await writer.task(task);
  for (const { dataset, items, annotations } of datasets) {
    await writer.dataset(dataset);
    await writer.items(dataset.id, items);
    if (task && annotations) await writer.annotations(task.id, dataset.id, annotations);
  }
}

/** An export of `request` started as the API starts one: its record QUEUED. */
async function queueExport(request: ExportRequest): Promise<ExportRecord> {
  return startExport(aws.deps, P, { name: 'my export', ...request });
}

/** The lines of every chunk object under `work/{exportId}/input/`, by shard and chunk key. */
function shardInputs(exportId = EXPORT): Record<string, ShardLine[]> {
  const inputs: Record<string, ShardLine[]> = {};
  const prefix = `work/${exportId}/input/`;
  for (const key of aws.keys(BUCKETS.exports, prefix)) {
    const text = aws.text(BUCKETS.exports, key)!;
    inputs[key.slice(prefix.length)] = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ShardLine);
  }
  return inputs;
}

const lineNames = (lines: ShardLine[]) =>
  lines.map((line) =>
    'item' in line ? line.name : `annotation of ${line.annotation.dataset_item_index}`,
  );

/** A scope of datasets `ids`, read by hand: for the steps that take a scope. */
const scopeOf = (task: Task | null, ids: string[]): PlanScope => ({
  task,
  datasets: ids.map((id) => ({ dataset: aDataset(id), folder: id })),
  archiveName: (name) => name,
});

const scanned = (fields: Partial<ScannedItem> & { index: number }): ScannedItem => ({
  datasetIndex: 0,
  storedName: `${fields.index}.png`,
  createdAt: '2024-01-01T00:00:00Z',
  latestUpdate: null,
  ...fields,
});

describe('plan: resolve scope', () => {
  it("takes the task's datasets in the task's order when the request names none, each in a folder of its own", async () => {
    const task = aTask({ dataset_ids: ['d2', 'd1'] });
    await seedStore(task, [
      { dataset: aDataset('d1', { name: 'Street scenes' }), items: [] },
      { dataset: aDataset('d2', { name: 'street scenes' }), items: [] },
    ]);
    const scope = await resolveScope(store, { type: 'annotations', taskId: 't1', format: 'coco' });
    expect(scope.task).toEqual(task);
    expect(scope.datasets.map((d) => [d.dataset.id, d.folder])).toEqual([
      ['d2', 'street scenes'],
      ['d1', 'Street scenes (2)'],
    ]);
    expect(scope.archiveName('a b.png')).toBe('a b.png');
  });

  it('writes names without whitespace for a format that puts paths in whitespace-separated lines', async () => {
    await seedStore(aTask(), [{ dataset: aDataset('d1', { name: 'Street scenes' }), items: [] }]);
    const scope = await resolveScope(store, {
      type: 'both',
      taskId: 't1',
      format: 'yolo_darknet',
    });
    expect(scope.datasets[0]!.folder).toBe('Street_scenes');
    expect(scope.archiveName('a b\tc.png')).toBe('a_b_c.png');
  });

  it('takes the datasets a datasets export names, with no task', async () => {
    await seedStore(null, [
      { dataset: aDataset('d1'), items: [] },
      { dataset: aDataset('d2'), items: [] },
    ]);
    const scope = await resolveScope(store, { type: 'datasets', datasetIds: ['d2'] });
    expect(scope.task).toBeNull();
    expect(scope.datasets.map((d) => d.dataset.id)).toEqual(['d2']);
  });

  it("refuses datasets that are not the task's, and datasets of another media, naming each", async () => {
    const task = aTask({ dataset_ids: ['d1', 'v1'] });
    await seedStore(task, [
      { dataset: aDataset('d1'), items: [] },
      { dataset: aDataset('v1', { media: 'video' }), items: [] },
    ]);
    const foreign = await resolveScope(store, {
      type: 'annotations',
      taskId: 't1',
      datasetIds: ['d1', 'x', 'y'],
    }).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(ValidationError);
    expect((foreign as ValidationError).details).toEqual([
      'dataset x is not a dataset of task t1',
      'dataset y is not a dataset of task t1',
    ]);
    await expect(resolveScope(store, { type: 'annotations', taskId: 't1' })).rejects.toThrow(
      'dataset v1 holds videos but task t1 is a image task',
    );
  });

  it("refuses a format the task's type is not exported to", async () => {
    await seedStore(aTask(), [{ dataset: aDataset('d1'), items: [] }]);
    await expect(
      resolveScope(store, { type: 'annotations', taskId: 't1', format: 'masks' }),
    ).rejects.toThrow('format "masks" is not available for object_detection tasks');
  });
});

describe('plan: scan items', () => {
  it('reads every item in stored order with the time of its latest annotation, compared as instants', async () => {
    const task = aTask({ dataset_ids: ['d1', 'd2'] });
    await seedStore(task, [
      {
        dataset: aDataset('d1'),
        items: [anItem({ index: 5, name: 'five.png' }), anItem({ index: 2, name: 'two.png' })],
        annotations: [
          aBox(
            { x: 0, y: 0, w: 1, h: 1 },
            { dataset_item_index: 5, updated_at: '2024-03-01T10:00:00Z' },
          ),
          // Later as text, earlier as an instant (09:30Z).
          aBox(
            { x: 0, y: 0, w: 1, h: 1 },
            { dataset_item_index: 5, updated_at: '2024-03-01T11:30:00+02:00' },
          ),
        ],
      },
      { dataset: aDataset('d2'), items: [anItem({ index: 0, name: 'zero.png' })] },
    ]);
    const scope = await resolveScope(store, { type: 'annotations', taskId: 't1' });
    expect(await scanItems(store, scope)).toEqual([
      {
        datasetIndex: 0,
        index: 5,
        storedName: 'five.png',
        createdAt: '2024-01-01T00:00:00.000Z',
        latestUpdate: '2024-03-01T10:00:00Z',
      },
      {
        datasetIndex: 0,
        index: 2,
        storedName: 'two.png',
        createdAt: '2024-01-01T00:00:00.000Z',
        latestUpdate: null,
      },
      {
        datasetIndex: 1,
        index: 0,
        storedName: 'zero.png',
        createdAt: '2024-01-01T00:00:00.000Z',
        latestUpdate: null,
      },
    ]);
  });

  it('fails on an annotation of an item the dataset does not have, naming its file and line', async () => {
    await seedStore(aTask(), [
      {
        dataset: aDataset('d1'),
        items: someItems('i', 1),
        annotations: [
          aBox({ x: 0, y: 0, w: 1, h: 1 }),
          aBox({ x: 0, y: 0, w: 1, h: 1 }, { dataset_item_index: 7 }),
        ],
      },
    ]);
    const scope = await resolveScope(store, { type: 'annotations', taskId: 't1' });
    await expect(scanItems(store, scope)).rejects.toThrow(
      'annotations/d1.jsonl line 2: dataset_item_index 7 is not an item of dataset d1',
    );
  });

  it('holds every item to the limits it is given', async () => {
    const huge = anItem({ width: 20_000, height: 10_000 });
    await seedStore(null, [{ dataset: aDataset('d1'), items: [huge] }]);
    const scope = scopeOf(null, ['d1']);
    expect(await scanItems(store, scope)).toHaveLength(1);
    await expect(scanItems(store, scope, { maxPixels: MAX_MASK_PIXELS })).rejects.toThrow(
      'more than the 100,000,000 pixels a mask may have',
    );
  });
});

describe('plan: apply filters', () => {
  const task = aTask();
  const items = [
    scanned({ index: 0, latestUpdate: '2024-02-01T00:00:00Z' }),
    scanned({ index: 1, latestUpdate: '2024-02-29T23:59:59.999Z' }),
    // 2024-03-01T00:00:00Z: the range's end, which is not in it.
    scanned({ index: 2, latestUpdate: '2024-03-01T02:00:00+02:00' }),
    scanned({ index: 3, latestUpdate: null }),
    scanned({ index: 4, latestUpdate: '2024-01-31T23:59:59Z' }),
  ];
  const february = { from: '2024-02-01T00:00:00Z', to: '2024-03-01T00:00:00Z' };

  it('keeps every item in subset 0 without a date range or a split', () => {
    const selection = applyFilters({ type: 'annotations' }, scopeOf(task, ['d1']), items);
    expect(selection.subsets).toBeNull();
    expect(selection.items.map((i) => [i.index, i.subset])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('keeps the items whose latest annotation falls in [from, to); an item with none is left out', () => {
    const selection = applyFilters(
      { type: 'annotations', dateRange: february },
      scopeOf(task, ['d1']),
      items,
    );
    expect(selection.items.map((i) => i.index)).toEqual([0, 1]);
  });

  it('filters a datasets export by the time its items were created', () => {
    const created = [
      scanned({ index: 0, createdAt: '2024-02-10T00:00:00Z' }),
      scanned({
        index: 1,
        createdAt: '2024-03-10T00:00:00Z',
        latestUpdate: '2024-02-10T00:00:00Z',
      }),
    ];
    const selection = applyFilters(
      { type: 'datasets', dateRange: february },
      scopeOf(null, ['d1']),
      created,
    );
    expect(selection.items.map((i) => i.index)).toEqual([0]);
  });

  it("assigns each kept item to one subset of the split, in the split's sizes", () => {
    const ten = Array.from({ length: 10 }, (_, index) =>
      scanned({ index, datasetIndex: index % 2, storedName: `item ${index}.png` }),
    );
    const subsets = [
      { name: 'train', percent: 60 },
      { name: 'val', percent: 20 },
      { name: 'test', percent: 20 },
    ];
    const selection = applyFilters(
      { type: 'annotations', split: { subsets, seed: 3 } },
      scopeOf(task, ['d1', 'd2']),
      ten,
    );
    expect(selection.subsets).toEqual(['train', 'val', 'test']);
    expect(selection.items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const sizes = [0, 1, 2].map((s) => selection.items.filter((i) => i.subset === s).length);
    expect(sizes).toEqual([6, 2, 2]);
  });
});

describe('plan: cut shards', () => {
  const item = (datasetIndex: number, index: number, subset: number) => ({
    ...scanned({ index, datasetIndex }),
    subset,
  });

  it('cuts per subset, then per dataset, the items in stored order, at most shardItems each', () => {
    const selection: Selection = {
      subsets: ['train', 'val'],
      items: [
        item(0, 0, 1),
        item(0, 1, 0),
        item(1, 0, 0),
        item(0, 2, 0),
        item(0, 3, 0),
        item(1, 1, 1),
      ],
    };
    const { shards, placed } = cutShards(scopeOf(aTask(), ['d1', 'd2']), selection, 2);
    expect(shards).toEqual([
      { index: 0, datasetId: 'd1', subset: 'train', items: 2 },
      { index: 1, datasetId: 'd1', subset: 'train', items: 1 },
      { index: 2, datasetId: 'd2', subset: 'train', items: 1 },
      { index: 3, datasetId: 'd1', subset: 'val', items: 1 },
      { index: 4, datasetId: 'd2', subset: 'val', items: 1 },
    ]);
    expect(placed).toEqual([
      { datasetIndex: 0, index: 1, shard: 0 },
      { datasetIndex: 0, index: 2, shard: 0 },
      { datasetIndex: 0, index: 3, shard: 1 },
      { datasetIndex: 1, index: 0, shard: 2 },
      { datasetIndex: 0, index: 0, shard: 3 },
      { datasetIndex: 1, index: 1, shard: 4 },
    ]);
  });

  it('makes no shard for a dataset or subset that keeps no item', () => {
    const selection: Selection = { subsets: null, items: [item(1, 0, 0)] };
    const { shards } = cutShards(scopeOf(null, ['d1', 'd2', 'd3']), selection, 500);
    expect(shards).toEqual([{ index: 0, datasetId: 'd2', subset: null, items: 1 }]);
  });
});

describe('plan: write inputs', () => {
  const task = aTask();
  const box = (dataset_item_index: number) =>
    aBox({ x: dataset_item_index, y: 0, w: 1, h: 1 }, { dataset_item_index });

  it("writes each shard's items under their archive names, then their annotations, in stored order", async () => {
    const items = [
      anItem({ index: 0, name: 'a b.png' }),
      anItem({ index: 1, name: 'c.png' }),
      anItem({ index: 2, name: 'd.png' }),
    ];
    const annotations = [box(2), box(0), box(2)];
    await seedStore(task, [{ dataset: aDataset('d1'), items, annotations }]);
    const scope = { ...scopeOf(task, ['d1']), archiveName: (n: string) => n.replace(' ', '_') };
    const placed = [
      { datasetIndex: 0, index: 0, shard: 0 },
      { datasetIndex: 0, index: 2, shard: 1 },
    ];
    await writeShardInputs(deps, EXPORT, store, scope, placed);
    expect(shardInputs()).toEqual({
      '000000/000000.jsonl': [{ item: items[0], name: 'a_b.png' }, { annotation: annotations[1] }],
      '000001/000000.jsonl': [
        { item: items[2], name: 'd.png' },
        { annotation: annotations[0] },
        { annotation: annotations[2] },
      ],
    });
  });

  it('names every stored item, so one the filters leave out does not change the names beside it', async () => {
    const items = [anItem({ index: 0, name: 'x.png' }), anItem({ index: 1, name: 'X.png' })];
    await seedStore(null, [{ dataset: aDataset('d1'), items }]);
    await writeShardInputs(deps, EXPORT, store, scopeOf(null, ['d1']), [
      { datasetIndex: 0, index: 1, shard: 0 },
    ]);
    expect(lineNames(shardInputs()['000000/000000.jsonl']!)).toEqual(['X (2).png']);
  });

  it('writes no input for a dataset none of whose items is placed', async () => {
    await seedStore(task, [
      { dataset: aDataset('d1'), items: someItems('a', 1), annotations: [box(0)] },
      { dataset: aDataset('d2'), items: someItems('b', 1), annotations: [box(0)] },
    ]);
    await writeShardInputs(deps, EXPORT, store, scopeOf(task, ['d1', 'd2']), [
      { datasetIndex: 1, index: 0, shard: 0 },
    ]);
    expect(Object.keys(shardInputs())).toEqual(['000000/000000.jsonl']);
    expect(lineNames(shardInputs()['000000/000000.jsonl']!)).toEqual(['b0.png', 'annotation of 0']);
  });

  it('flushes its buffers as numbered chunks once they hold flushBytes; the chunks in key order are the stored order', async () => {
    await seedStore(task, [
      { dataset: aDataset('d1'), items: someItems('i', 3), annotations: [box(1), box(0)] },
    ]);
    const placed = [0, 1, 2].map((index) => ({ datasetIndex: 0, index, shard: index % 2 }));
    await writeShardInputs(deps, EXPORT, store, scopeOf(task, ['d1']), placed, 1);
    const inputs = shardInputs();
    expect(Object.keys(inputs)).toEqual([
      '000000/000000.jsonl',
      '000000/000001.jsonl',
      '000000/000002.jsonl',
      '000001/000000.jsonl',
      '000001/000001.jsonl',
    ]);
    // One line per chunk: every line filled the buffer.
    expect(Object.values(inputs).map(lineNames)).toEqual([
      ['i0.png'],
      ['i2.png'],
      ['annotation of 0'],
      ['i1.png'],
      ['annotation of 1'],
    ]);
  });
});

describe('plan: the shard list', () => {
  it("writes every shard's iteration input, as a JSON array, to work/{exportId}/shards.json", async () => {
    const location = await writeShardList(deps, { exportId: EXPORT, projectId: P }, [
      { index: 0, kind: 'masks' },
      { index: 1, kind: 'masks' },
    ]);
    expect(location).toEqual({ bucket: BUCKETS.exports, key: 'work/e1/shards.json' });
    expect(JSON.parse(aws.text(BUCKETS.exports, 'work/e1/shards.json')!)).toEqual([
      { exportId: EXPORT, projectId: P, shard: { index: 0, kind: 'masks' } },
      { exportId: EXPORT, projectId: P, shard: { index: 1, kind: 'masks' } },
    ]);
  });

  it('is an empty array for an export with no shard', async () => {
    await writeShardList(deps, { exportId: EXPORT, projectId: P }, []);
    expect(aws.text(BUCKETS.exports, workKeys.shardList(EXPORT))).toBe('[]');
  });
});

describe('planExport', () => {
  const task = aTask({ dataset_ids: ['d1', 'd2'] });
  const refOf = (record: ExportRecord) => ({ exportId: record.id, projectId: P });

  beforeEach(async () => {
    await seedStore(task, [
      {
        dataset: aDataset('d1', { name: 'first' }),
        items: someItems('a', 3),
        annotations: [aBox({ x: 0, y: 0, w: 1, h: 1 })],
      },
      { dataset: aDataset('d2', { name: 'second' }), items: someItems('b', 1) },
    ]);
  });

  it('records RUNNING and the shard total, and writes the plan, the inputs and the shard list', async () => {
    const queued = await queueExport({ type: 'both', taskId: 't1', format: 'coco' });
    const id = queued.id;
    const output = await planExport(deps, refOf(queued));
    const shards = [0, 1, 2].map((index) => ({ index, kind: 'render' }));
    expect(output).toEqual({
      exportId: id,
      projectId: P,
      shards,
      shardCount: 3,
      shardList: { bucket: BUCKETS.exports, key: `work/${id}/shards.json` },
    });
    // Each element is what the Map's ItemSelector builds from `shards` today.
    const list = JSON.parse(aws.text(BUCKETS.exports, output.shardList.key)!) as ShardEvent[];
    expect(list).toEqual(output.shards.map((shard) => ({ exportId: id, projectId: P, shard })));

    const plan = await readPlan(deps, id);
    expect(plan).toMatchObject({
      exportName: 'my export',
      createdAt: queued.created_at,
      type: 'both',
      format: 'coco',
      maskKind: null,
      task,
      subsets: null,
      shards: [
        { index: 0, datasetId: 'd1', subset: null, items: 2 },
        { index: 1, datasetId: 'd1', subset: null, items: 1 },
        { index: 2, datasetId: 'd2', subset: null, items: 1 },
      ],
    });
    expect(plan.datasets.map((d) => d.folder)).toEqual(['first', 'second']);
    expect(Object.keys(shardInputs(id))).toEqual([
      '000000/000000.jsonl',
      '000001/000000.jsonl',
      '000002/000000.jsonl',
    ]);
    const record = await new RecordStore(aws.deps.s3, BUCKETS.exports).get(P, id);
    expect(record.status).toBe('RUNNING');
    expect(record.started_at).not.toBeNull();
    expect(record.progress).toEqual({ done: 0, total: 3 });
  });

  it('sends the shards of a masks export to the masks function', async () => {
    await new StoreWriter(aws.deps.s3, BUCKETS.data, P).task({
      ...task,
      type: 'semantic_segmentation',
    });
    const queued = await queueExport({
      type: 'annotations',
      taskId: 't1',
      format: 'masks',
      maskKind: 'aggregated_class',
      datasetIds: ['d2'],
    });
    const output = await planExport(deps, refOf(queued));
    expect(output.shards).toEqual([{ index: 0, kind: 'masks' }]);
    expect(JSON.parse(aws.text(BUCKETS.exports, output.shardList.key)!)).toEqual([
      { exportId: queued.id, projectId: P, shard: { index: 0, kind: 'masks' } },
    ]);
  });

  it('fails on a bad line of the store before any shard input or list is written', async () => {
    await new StoreWriter(aws.deps.s3, BUCKETS.data, P).annotations(task.id, 'd2', [
      aBox({ x: 0, y: 0, w: 1, h: 1 }, { class_id: 9 }),
    ]);
    const queued = await queueExport({ type: 'annotations', taskId: 't1', format: 'csv' });
    await expect(planExport(deps, refOf(queued))).rejects.toThrow(
      'annotations/d2.jsonl line 1: class_id 9 is not a class of the task',
    );
    expect(aws.keys(BUCKETS.exports, 'work/')).toEqual([]);
  });
});
