/**
 * Attacks on the local stack, where the S3 server maps keys to files and resolves `..` in them
 * (DESIGN §15): ids that would reach another project, request keys that would leave requests/,
 * passwords left in unreadable request objects, names outside Latin-1 in download links, and
 * store lines whose sizes no buffer can hold.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/client';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { startLocalService, type LocalService } from '../../local/start';
import type { ExportView } from '../../shared/exports/table';
import type { Annotation, DatasetItem, Task } from '../../shared/model/types';
import { StoreWriter } from '../../shared/store/writer';
import { failure } from '../helpers/api';

const P = SAMPLE_PROJECT_ID;
let directory: string;
let service: LocalService;
let api: ApiClient;

const SECRET_TASK_NAME = 'Other project secret task';
const SECRET_IMAGE = Buffer.from('the other project image bytes');

const task = (id: string, datasetIds: string[], type: Task['type'] = 'object_detection'): Task => ({
  id,
  name: `task ${id}`,
  type,
  media: 'image',
  dataset_ids: datasetIds,
  classes: [{ id: 1, name: 'car', parent_id: null }],
  rotation_enabled: false,
  annotation_metadata_definitions: [],
});

const item = (index: number, change: Partial<DatasetItem> = {}): DatasetItem => ({
  index,
  name: `img${index}.png`,
  media_key: `img${index}.png`,
  width: 16,
  height: 16,
  num_frames: 1,
  num_channels: 3,
  bits_per_channel: 8,
  meta_data: {},
  created_at: '2026-01-01T00:00:00Z',
  ...change,
});

/** A project with one dataset `d` and one task `t` of the given items, with their media. */
async function seedProject(projectId: string, items: DatasetItem[], taskType?: Task['type']) {
  const writer = new StoreWriter(service.stack.s3, service.stack.config.dataBucket, projectId);
  await writer.project({ id: projectId, name: projectId, created_at: '2026-01-01T00:00:00Z' });
  await writer.dataset({ id: 'd', name: 'd', media: 'image', item_metadata_definitions: [] });
  await writer.items('d', items);
  await writer.annotations('t', 'd', []);
  for (const i of items)
    if (!i.media_key.includes('..'))
      await writer.media('d', i.media_key, SECRET_IMAGE, 'image/png');
  await writer.task({ ...task('t', ['d'], taskType), name: `${projectId} task` });
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'annotation-export-hardening-'));
  service = await startLocalService({ directory, port: 0 });
  api = new ApiClient(service.api.url);
  await seedProject('other', [item(0, { media_key: 'secret.png' })]);
  const writer = new StoreWriter(service.stack.s3, service.stack.config.dataBucket, 'other');
  await writer.task({ ...task('t', ['d']), name: SECRET_TASK_NAME });
});

afterAll(async () => {
  await service?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

async function finished(projectId: string, id: string): Promise<ExportView> {
  for (;;) {
    const view = await api.get(projectId, id);
    if (view.status === 'SUCCEEDED' || view.status === 'FAILED') return view;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function exists(key: string): Promise<boolean> {
  try {
    await service.stack.s3.send(
      new HeadObjectCommand({ Bucket: service.stack.config.dataBucket, Key: key }),
    );
    return true;
  } catch {
    return false;
  }
}

async function putRequest(key: string, body: string): Promise<void> {
  await service.stack.s3.send(
    new PutObjectCommand({ Bucket: service.stack.config.dataBucket, Key: key, Body: body }),
  );
  await service.triggersSettled();
}

describe('ids that would reach another project', () => {
  it('refuses a taskId that climbs into another project, and shows none of its task', async () => {
    for (const taskId of ['../../other/tasks/t', '..%2F..%2Fother%2Ftasks%2Ft', '..\\..\\other']) {
      const error = await failure(api.create(P, { type: 'both', taskId, format: 'coco' }));
      expect(error.status, taskId).toBe(400);
      expect(JSON.stringify(error.details)).not.toContain(SECRET_TASK_NAME);
    }
    const listed = await api.list(P);
    expect(JSON.stringify(listed)).not.toContain(SECRET_TASK_NAME);
  });

  it('refuses a datasetIds entry that climbs into another project', async () => {
    const error = await failure(
      api.create(P, { type: 'datasets', datasetIds: ['../../other/datasets/d'] }),
    );
    expect(error.status).toBe(400);
    expect(error.details).toEqual(['datasetIds[0] "../../other/datasets/d" contains ".."']);
  });

  it('fails an export whose media_key climbs into another project, naming file, line and field', async () => {
    const traversal = '../../../other/datasets/d/media/secret.png';
    await seedProject('thief', [item(0), item(1, { media_key: traversal })]);
    const created = await api.create('thief', { type: 'both', taskId: 't', format: 'coco' });
    const view = await finished('thief', created.id);
    expect(view.status).toBe('FAILED');
    expect(view.error!.message).toBe(
      `datasets/d/items.jsonl line 2: media_key ${JSON.stringify(traversal)} has a segment that contains ".."`,
    );
    expect(view.archive).toBeNull();
  });
});

describe('S3 request keys', () => {
  it('writes no status object outside requests/ for requests/../projects/{p}/x.json', async () => {
    const taskId = SAMPLE_TASK_IDS.objectDetection;
    const body = JSON.stringify({ type: 'both', taskId, format: 'coco' });
    await putRequest(`requests/../projects/${P}/planted.json`, body);
    await putRequest(`requests/${P}/../../projects/${P}/tasks/planted.json`, body);
    expect(await exists(`projects/${P}/planted.status.json`)).toBe(false);
    expect(await exists(`projects/${P}/tasks/planted.status.json`)).toBe(false);
    expect(await exists(`requests/projects/${P}/planted.status.json`)).toBe(false);
    expect((await api.list(P)).items).toEqual([]);
  });

  it('keeps no password of a request object that is not JSON', async () => {
    const key = `requests/${P}/typo.json`;
    await putRequest(key, '{"type":"both", "password": "hunter2 is mine",, "format":"coco"}');
    expect(await exists(key)).toBe(false);
    const status = await service.stack.s3.send(
      new GetObjectCommand({
        Bucket: service.stack.config.dataBucket,
        Key: `requests/${P}/typo.status.json`,
      }),
    );
    const text = await status.Body!.transformToString();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toMatchObject({ status: 'REJECTED', requestDeleted: true });
  });
});

describe('download links', () => {
  it.each([
    ['emoji', 'night 🚀 run'],
    ['CJK', '训练集 导出'],
    ['right-to-left text', 'ייצוא לילי'],
    ['accents', 'Café crème'],
    [
      'emoji sequences (joiners, tags)',
      'team 👨‍👩‍👧 🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}',
    ],
  ])('serve an archive whose name is in %s, with its UTF-8 name', async (_, name) => {
    const created = await api.create(P, { name, type: 'datasets', datasetIds: ['parks'] });
    const view = await finished(P, created.id);
    expect(view.status, view.error?.message).toBe('SUCCEEDED');
    const response = await fetch(view.download_url!);
    expect(response.status).toBe(200);
    const disposition = response.headers.get('content-disposition')!;
    const encoded = /filename\*=UTF-8''([^;\s]+)/.exec(disposition)![1]!;
    expect(decodeURIComponent(encoded)).toBe(`${name}.zip`);
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+\.zip"/);
    expect((await response.arrayBuffer()).byteLength).toBe(view.bytes);
  });
});

describe('sizes no buffer can hold', () => {
  it.each([
    [
      'an item 5e9 pixels wide',
      'huge',
      [item(0), item(1, { width: 5e9 })],
      'datasets/d/items.jsonl line 2: width is 5000000000, more than the 65535 pixels an image may have',
    ],
    [
      'an image over the pixel cap of masks',
      'wide',
      [item(0, { width: 20_000, height: 10_000 })],
      'datasets/d/items.jsonl line 1: width x height is 20000 x 10000: more than the 100,000,000 pixels a mask may have',
    ],
  ])(
    'fails a mask export of %s naming file, line and field, not "internal error"',
    async (_, projectId, items, message) => {
      await seedProject(projectId, items, 'instance_segmentation');
      const created = await api.create(projectId, {
        type: 'annotations',
        taskId: 't',
        format: 'masks',
        maskKind: 'instance',
      });
      const view = await finished(projectId, created.id);
      expect(view.status).toBe('FAILED');
      expect(view.error!.message).toBe(message);
    },
  );
});

describe('dateRange against store timestamps with offsets', () => {
  const box = (index: number, updatedAt: string): Annotation => ({
    dataset_item_index: index,
    frame_index: 0,
    type: 'Box',
    class_id: 1,
    instance_id: 1,
    box: { x: 1, y: 1, w: 4, h: 4, orientation: null },
    poly: null,
    is_open: false,
    annotators: 'a',
    meta_data: {},
    created_at: '2026-03-01T00:00:00Z',
    updated_at: updatedAt,
  });

  it('keeps an item by the latest instant of its annotations, not the latest text', async () => {
    await seedProject('offsets', [item(0), item(1)]);
    const writer = new StoreWriter(service.stack.s3, service.stack.config.dataBucket, 'offsets');
    // Item 0: 08:30Z written as 09:30+01:00 (the larger text), then 08:40Z, its latest update.
    await writer.annotations('t', 'd', [
      box(0, '2026-03-07T09:30:00+01:00'),
      box(0, '2026-03-07T08:40:00Z'),
      box(1, '2026-03-07T08:20:00Z'),
    ]);
    const created = await api.create('offsets', {
      type: 'annotations',
      taskId: 't',
      format: 'coco',
      dateRange: { from: '2026-03-07T08:35:00Z' },
    });
    const view = await finished('offsets', created.id);
    expect(view.status, view.error?.message).toBe('SUCCEEDED');
    expect(view.counts).toMatchObject({ items: 1, annotations: 2 });
  });
});
