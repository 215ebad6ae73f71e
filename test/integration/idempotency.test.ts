import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/client';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { startLocalService, type LocalService } from '../../local/start';
import {
  getText,
  getVersionedText,
  listKeys,
  putIfAbsent,
  putIfUnchanged,
  putText,
} from '../../shared/aws/s3';
import { recordKeys } from '../../shared/exports/record';

const P = SAMPLE_PROJECT_ID;
let directory: string;
let service: LocalService;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'annotation-export-idempotency-'));
  service = await startLocalService({ directory, port: 0 });
});

afterAll(async () => {
  await service?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('Idempotency-Key under concurrency, over HTTP on the local stack', () => {
  it('gives 20 concurrent POSTs with one key and one body exactly one export', async () => {
    const body = JSON.stringify({
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      password: 'same for all',
    });
    const responses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(`${service.api.url}/projects/${P}/exports`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'nightly-race' },
          body,
        });
        return { status: response.status, body: (await response.json()) as { id?: string } };
      }),
    );
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((s) => s === 202 || s === 409),
      JSON.stringify(responses),
    ).toBe(true);
    const ids = new Set(responses.filter((r) => r.status === 202).map((r) => r.body.id));
    expect(ids.size).toBe(1);

    const exportFolders: string[] = [];
    for await (const { key } of listKeys(
      service.stack.s3,
      service.stack.config.exportBucket,
      recordKeys.prefix(P),
    ))
      if (key.endsWith('/record.json')) exportFolders.push(key);
    expect(exportFolders).toEqual([recordKeys.record(P, [...ids][0]!)]);
    const api = new ApiClient(service.api.url);
    expect((await api.list(P)).items.map((r) => r.id)).toEqual([...ids]);
    await service.stack.stepFunctions.settle();
    expect((await api.get(P, [...ids][0]!)).status).toBe('SUCCEEDED');

    // Afterwards the key replays the export.
    const again = await fetch(`${service.api.url}/projects/${P}/exports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'nightly-race' },
      body,
    });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe([...ids][0]);
  });
});

describe('conditional puts on the local S3 server', () => {
  const bucket = () => service.stack.config.exportBucket;

  it('creates with If-None-Match: * only when the key is free, one winner of concurrent puts', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        putIfAbsent(service.stack.s3, bucket(), 'claims/one.json', JSON.stringify({ i })),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(JSON.parse(await getText(service.stack.s3, bucket(), 'claims/one.json'))).toEqual({
      i: winner,
    });
    expect(await putIfAbsent(service.stack.s3, bucket(), 'claims/one.json', '{}')).toBe(false);
  });

  it('replaces with If-Match only the version that was read', async () => {
    await putText(service.stack.s3, bucket(), 'claims/two.json', '{"v":1}');
    const read = (await getVersionedText(service.stack.s3, bucket(), 'claims/two.json'))!;
    expect(read.text).toBe('{"v":1}');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        putIfUnchanged(service.stack.s3, bucket(), 'claims/two.json', `{"v":${i + 2}}`, read.etag),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(
      await putIfUnchanged(service.stack.s3, bucket(), 'claims/missing.json', '{}', read.etag),
    ).toBe(false);
  });
});
