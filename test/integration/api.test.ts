import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { crc32 } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS, buildSampleProject } from '../../local/sample';
import { startLocalService, type LocalService } from '../../local/start';
import { ApiClient } from '../../cli/client';
import type { ExportRow, ExportView } from '../../shared/exports/table';
import { recordKeys } from '../../shared/exports/record';
import { failure, subsets } from '../helpers/api';
import { openZip } from '../helpers/zip';

const P = SAMPLE_PROJECT_ID;
const sample = buildSampleProject();
let directory: string;
let service: LocalService;
let api: ApiClient;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'annotation-export-api-'));
  // One item per shard: many shards, so that progress has steps to climb.
  service = await startLocalService({ directory, port: 0, shardItems: 1 });
  api = new ApiClient(service.api.url);
});

afterAll(async () => {
  await service?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** Polls an export over HTTP until it ends, keeping every progress it showed on the way. */
async function watch(id: string): Promise<{ final: ExportView; seen: ExportView[] }> {
  const seen: ExportView[] = [];
  for (;;) {
    const view = await api.get(P, id);
    seen.push(view);
    if (view.status === 'SUCCEEDED' || view.status === 'FAILED') return { final: view, seen };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function downloaded(view: ExportView): Promise<Uint8Array> {
  const response = await fetch(view.download_url!);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

async function readObject(key: string, bucket = service.stack.config.dataBucket) {
  const object = await service.stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { text: await object.Body!.transformToString(), metadata: object.Metadata ?? {} };
}

/** The status object of a request object, once the trigger has written it. */
// Status objects are read field by field, as a pipeline would.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function statusOf(name: string): Promise<Record<string, any>> {
  await service.triggersSettled();
  return JSON.parse((await readObject(`requests/${P}/${name}.status.json`)).text);
}

const odDatasets = sample.datasets.filter((d) => d.dataset.media === 'image');

/** The export the REST API tests below create, list, replay and delete in turn. */
let created: ExportView;

describe('the REST API over HTTP on the local stack', () => {
  it('creates an export, whose progress rises to 100%, and serves its archive through a presigned URL', async () => {
    created = await api.create(P, {
      name: 'api test',
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'yolo_darknet',
      split: {
        subsets: subsets({ train: 75, val: 25 }),
        seed: 7,
      },
      password: 'correct horse',
    });
    expect(created.status).toBe('QUEUED');
    expect(created.name).toBe('api test');
    expect(JSON.stringify(created)).not.toContain('correct horse');

    const { final, seen } = await watch(created.id);
    expect(final.status, final.error?.message).toBe('SUCCEEDED');
    const total = odDatasets.reduce((n, d) => n + d.items.length, 0);
    expect(final.progress).toEqual({ done: total, total });
    // Progress never goes back, and every reading is within its total.
    const shares = seen.map((v) =>
      v.progress.total === 0 ? 0 : v.progress.done / v.progress.total,
    );
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    for (const v of seen) expect(v.progress.done).toBeLessThanOrEqual(v.progress.total);
    expect(final.download_url).toMatch(/X-Amz-Expires=900/);

    const archive = await downloaded(final);
    expect(archive.byteLength).toBe(final.bytes);
    expect(crc32(archive).toString(16).padStart(8, '0')).toBe(final.archive!.crc32);
    await expect(
      openZip(archive, 'wrong password').then((z) => z.text('manifest.json')),
    ).rejects.toThrow();
    const zip = await openZip(archive, 'correct horse');
    const manifest = JSON.parse(await zip.text('manifest.json'));
    expect(manifest).toMatchObject({ id: created.id, name: 'api test', format: 'yolo_darknet' });
    const labels = zip.names.filter((n) => /^(train|val)\/annotations\/[^/]+\/[^/]+\.txt$/.test(n));
    const media = zip.names.filter((n) => /^(train|val)\/datasets\//.test(n));
    // Darknet reads labels beside the images: each image has its .txt there too.
    const images = media.filter((n) => !n.endsWith('.txt'));
    expect(images).toHaveLength(total);
    expect(media.filter((n) => n.endsWith('.txt'))).toHaveLength(total);
    expect(labels.filter((n) => !n.endsWith('darknet.labels'))).toHaveLength(total);
    await zip.close();
  });

  it('lists the export newest first with its table columns', async () => {
    const second = await api.create(P, { type: 'datasets', datasetIds: ['parks'] });
    await watch(second.id);
    const page = await api.list(P, { limit: 1 });
    expect(page.items.map((r) => r.id)).toEqual([second.id]);
    const next = await api.list(P, { limit: 1, cursor: page.next_cursor! });
    expect(next.items[0]).toMatchObject({
      id: created.id,
      name: 'api test',
      task: { id: SAMPLE_TASK_IDS.objectDetection },
      format: 'yolo_darknet',
      type: 'both',
      status: 'SUCCEEDED',
    });
    expect((next.items[0] as ExportRow).download_url).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});

describe('the REST API over HTTP on the local stack: replays, refusals and deletes', () => {
  it('gives back the same export for a repeated Idempotency-Key', async () => {
    const body = { type: 'annotations', taskId: SAMPLE_TASK_IDS.classification, format: 'csv' };
    const first = await api.create(P, body, 'nightly-2026-03-01');
    const again = await api.create(P, body, 'nightly-2026-03-01');
    expect(again.id).toBe(first.id);
    const conflict = await failure(
      api.create(P, { ...body, format: 'innotescus_json' }, 'nightly-2026-03-01'),
    );
    expect(conflict.status).toBe(409);
    await watch(first.id);
  });

  it('answers 400 listing the problems, and 404 for an unknown export', async () => {
    const bad = await failure(
      api.create(P, { type: 'both', taskId: SAMPLE_TASK_IDS.classification, format: 'masks' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.details).toEqual(['maskKind is required with the masks format']);
    const missing = await failure(api.get(P, '20200101T000000000Z-00000000'));
    expect(missing.status).toBe(404);
  });

  it('deletes a finished export: archive and record', async () => {
    const view = await api.get(P, created.id);
    await api.delete(P, created.id);
    const gone = await failure(api.get(P, created.id));
    expect(gone.status).toBe(404);
    await expect(
      service.stack.s3.send(
        new HeadObjectCommand({
          Bucket: service.stack.config.exportBucket,
          Key: view.archive!.key,
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describe('S3 request objects on the local stack', () => {
  it('starts an export from a request object and reports its id in the status object', async () => {
    const body = {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.instanceSegmentation,
      format: 'masks',
      maskKind: 'instance',
      password: 'from a pipeline',
      encryption: 'zipcrypto',
    };
    await service.stack.s3.send(
      new PutObjectCommand({
        Bucket: service.stack.config.dataBucket,
        Key: `requests/${P}/nightly masks.json`,
        Body: JSON.stringify(body),
      }),
    );
    const status = await statusOf('nightly masks');
    expect(status).toMatchObject({ status: 'STARTED', projectId: P });
    expect(status.record).toBe(recordKeys.record(P, status.exportId));
    // The password left the request object for the secret store.
    const rewritten = await readObject(`requests/${P}/nightly masks.json`);
    const { password: _password, ...rest } = body;
    expect(JSON.parse(rewritten.text)).toEqual(rest);

    const { final } = await watch(status.exportId);
    expect(final.status, final.error?.message).toBe('SUCCEEDED');
    expect(final).toMatchObject({ format: 'masks', maskKind: 'instance', encryption: 'zipcrypto' });
    const zip = await openZip(await downloaded(final), 'from a pipeline');
    expect(
      zip.names.filter((n) => n.endsWith('.png') && n.startsWith('annotations/')),
    ).toHaveLength(odDatasets.reduce((n, d) => n + d.items.length, 0));
    await zip.close();

    // The status object follows the export to its end.
    await service.stack.stepFunctions.settle();
    const ended = JSON.parse((await readObject(`requests/${P}/nightly masks.status.json`)).text);
    expect(ended).toMatchObject({
      status: 'SUCCEEDED',
      exportId: status.exportId,
      request: `requests/${P}/nightly masks.json`,
      archive: { key: final.archive!.key, bytes: final.archive!.bytes },
      error: null,
    });
    expect(JSON.stringify(ended)).not.toContain('from a pipeline');
  });
});

describe('S3 request objects on the local stack: bad requests', () => {
  it('answers a bad request object with a status object listing its problems', async () => {
    await service.stack.s3.send(
      new PutObjectCommand({
        Bucket: service.stack.config.dataBucket,
        Key: `requests/${P}/bad.json`,
        Body: JSON.stringify({
          type: 'annotations',
          taskId: SAMPLE_TASK_IDS.objectDetection,
          format: 'coco',
          maskKind: 'instance',
          encryption: 'aes256',
          split: {
            subsets: [
              { name: 'train', percent: 60 },
              { name: 'train', percent: 30 },
            ],
          },
        }),
      }),
    );
    const status = await statusOf('bad');
    expect(status.status).toBe('REJECTED');
    expect(status.error.details).toEqual([
      'maskKind is only allowed with the masks format',
      'encryption needs a password',
      'split.subsets[1].name "train" is used by an earlier subset',
      'split.subsets percents must sum to 100, not 90',
    ]);
    expect(status.exportId).toBeUndefined();
  });
});
