import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli';
import { anExportView, startFakeApi, type FakeApi } from './fake-api';

let api: FakeApi;
let dir: string;
beforeAll(async () => {
  api = await startFakeApi();
  dir = await mkdtemp(join(tmpdir(), 'cli-ops-'));
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

describe('CLI: cancel and events', () => {
  it('cancel posts to the export’s cancel resource and prints the cancelled export', async () => {
    const view = { ...anExportView(), status: 'CANCELLED' };
    api.answers[`POST /projects/p1/exports/${view.id}/cancel`] = { status: 200, body: view };
    const ran = await cli(['--endpoint', api.url, 'cancel', view.id, '--project', 'p1', '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ id: view.id, status: 'CANCELLED' });
    expect(api.received.at(-1)).toMatchObject({ method: 'POST' });
  });

  it('events prints each event of the file: type, export, bytes or reason', async () => {
    const file = join(dir, 'events.jsonl');
    const event = (type: string, detail: object) =>
      JSON.stringify({ time: '2026-12-02T05:00:00.000Z', 'detail-type': type, detail });
    await writeFile(
      file,
      [
        event('Export Succeeded', {
          exportId: 'e1',
          projectId: 'p1',
          name: 'a',
          bytes: 1234,
          reason: null,
        }),
        event('Export Failed', {
          exportId: 'e2',
          projectId: 'p1',
          name: 'b',
          bytes: null,
          reason: { code: 'Timeout', message: 'a step ran past its time limit' },
        }),
      ].join('\n') + '\n',
    );
    const ran = await cli(['events', '--file', file]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim().split('\n')).toEqual([
      '2026-12-02T05:00:00.000Z  Export Succeeded  p1/e1  a  1234 bytes',
      '2026-12-02T05:00:00.000Z  Export Failed  p1/e2  b  Timeout: a step ran past its time limit',
    ]);
    const json = await cli(['events', '--file', file, '--json']);
    expect(JSON.parse(json.stdout.split('\n')[1]!)).toMatchObject({
      'detail-type': 'Export Failed',
    });
    expect((await cli(['events', '--file', join(dir, 'none.jsonl')])).stdout).toBe('');
  });

  it('events leaves out a last line still being written (no newline yet)', async () => {
    const file = join(dir, 'partial.jsonl');
    const whole = JSON.stringify({
      time: '2026-12-02T05:00:00.000Z',
      'detail-type': 'Export Succeeded',
      detail: { exportId: 'e1', projectId: 'p1', name: 'ä', bytes: 1, reason: null },
    });
    await writeFile(file, `${whole}\n{"time":"2026-12-02T05:01`);
    const ran = await cli(['events', '--file', file, '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim().split('\n')).toEqual([whole]);
  });
});
