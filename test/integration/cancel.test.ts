import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { startLocalService, type LocalService } from '../../local/start';
import type { LocalEvent } from '../../local/events';
import { listKeys } from '../../shared/aws/s3';
import { callApi } from '../helpers/api';

const P = SAMPLE_PROJECT_ID;
let directory: string;
let service: LocalService;
/** Render waits here until the test lets it go: the export stays RUNNING meanwhile. */
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => (release = resolve));
let reachedRender: () => void = () => undefined;
const rendering = new Promise<void>((resolve) => (reachedRender = resolve));

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'annotation-export-cancel-'));
  service = await startLocalService({
    directory,
    port: 0,
    stepFunctions: {
      beforeTask: async (state) => {
        if (state !== 'Render') return;
        reachedRender();
        await held;
      },
    },
  });
});

afterAll(async () => {
  release();
  await service?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
  rmSync(`${directory}-events.jsonl`, { force: true });
});

const api = (method: string, path: string, body?: unknown) =>
  callApi(service.api.url, method, path, body);

async function keys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const { key } of listKeys(service.stack.s3, service.stack.config.exportBucket, prefix))
    found.push(key);
  return found;
}

const request = {
  type: 'annotations',
  taskId: SAMPLE_TASK_IDS.objectDetection,
  format: 'coco',
  password: 'cancel-me-password',
};

describe('cancel: POST /projects/{projectId}/exports/{exportId}/cancel', () => {
  it('stops a RUNNING export, records CANCELLED, removes password and staged work, offers no archive', async () => {
    const created = await api('POST', `/projects/${P}/exports`, request);
    const id = created.body.id as string;
    await rendering;
    expect((await keys(`secrets/${id}`)).length).toBe(1);

    const cancelled = await api('POST', `/projects/${P}/exports/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'CANCELLED', archive: null });
    expect(cancelled.body.download_url).toBeUndefined();
    expect(service.stack.stepFunctions.executions.get(id)?.status).toBe('ABORTED');

    // The step that was running carries on (as a Lambda does after StopExecution) and ends.
    release();
    await service.stack.stepFunctions.settle();
    const later = await api('GET', `/projects/${P}/exports/${id}`);
    expect(later.body).toMatchObject({ status: 'CANCELLED', archive: null });
    expect(later.body.download_url).toBeUndefined();
    expect(await keys(`secrets/${id}`)).toEqual([]);
    expect(await keys(`work/${id}/`)).toEqual([]);
    expect((await keys(`exports/${P}/${id}/`)).filter((k) => k.endsWith('.zip'))).toEqual([]);

    const events = readFileSync(`${directory}-events.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LocalEvent)
      .filter((e) => (e.detail as { exportId: string }).exportId === id);
    expect(events.map((e) => e['detail-type'])).toEqual(['Export Cancelled']);
    expect(JSON.stringify(events)).not.toContain(request.password);

    // Cancelling again answers the same; the cancelled export can be deleted.
    expect((await api('POST', `/projects/${P}/exports/${id}/cancel`)).body.status).toBe(
      'CANCELLED',
    );
    expect((await api('DELETE', `/projects/${P}/exports/${id}`)).status).toBe(204);
  });

  it('refuses to cancel an export that has ended (409) or does not exist (404)', async () => {
    const created = await api('POST', `/projects/${P}/exports`, { ...request, format: 'csv' });
    const id = created.body.id as string;
    await service.stack.stepFunctions.settle();
    expect((await api('GET', `/projects/${P}/exports/${id}`)).body.status).toBe('SUCCEEDED');
    const refused = await api('POST', `/projects/${P}/exports/${id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.message).toMatch(/SUCCEEDED; only a QUEUED or RUNNING export/);
    const missing = await api('POST', `/projects/${P}/exports/20260101T000000000Z-00000000/cancel`);
    expect(missing.status).toBe(404);
  });
});
