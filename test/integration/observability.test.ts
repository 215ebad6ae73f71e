import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Before the functions' modules load: this file asserts on their logs and EMF output.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { startLocalService, type LocalService } from '../../local/start';
import type { LocalEvent } from '../../local/events';
import { tracer } from '../../shared/observability/index';
import { callApi } from '../helpers/api';

const P = SAMPLE_PROJECT_ID;
const PASSWORD = 'Observe-Me-7f3a9c-Sesame';
let directory: string;
let service: LocalService;
const written: string[] = [];
const annotations: Array<[string, unknown]> = [];

interface LogLine {
  level?: string;
  message?: string;
  stage?: string;
  exportId?: string;
  projectId?: string;
  requestId?: string;
  [key: string]: unknown;
}
interface EmfBlob {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
  [key: string]: unknown;
}

const api = (method: string, path: string, body?: unknown) =>
  callApi(service.api.url, method, path, body);

async function finished(id: string): Promise<Record<string, unknown>> {
  for (;;) {
    const { body } = await api('GET', `/projects/${P}/exports/${id}`);
    if (body.status !== 'QUEUED' && body.status !== 'RUNNING') return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lines = () =>
  written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine & Partial<EmfBlob>);
const logLines = () => lines().filter((l) => !l._aws) as LogLine[];
const emf = () => lines().filter((l) => l._aws) as EmfBlob[];

let record: Record<string, unknown>;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'annotation-export-observability-'));
  service = await startLocalService({ directory, port: 0, shardItems: 2 });
  const capture = (chunk: unknown) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  vi.spyOn(tracer, 'putAnnotation').mockImplementation((key, value) => {
    annotations.push([key, value]);
  });
  const created = await api('POST', `/projects/${P}/exports`, {
    type: 'annotations',
    taskId: SAMPLE_TASK_IDS.objectDetection,
    format: 'coco',
    password: PASSWORD,
  });
  expect(created.status).toBe(202);
  record = await finished(created.body.id as string);
  // The record says SUCCEEDED before package's invocation has ended (its event, its metrics).
  await service.stack.stepFunctions.settle();
  await api('GET', `/projects/${P}/exports/00000000000000000000000000`);
  vi.restoreAllMocks();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await service?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
  rmSync(`${directory}-events.jsonl`, { force: true });
});

describe('operations: logs, metrics, traces and events of an export', () => {
  it('the export succeeded with its password', () => {
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
  });

  it('no log line, EMF blob, trace annotation or event holds the password', () => {
    expect(written.length).toBeGreaterThan(0);
    expect(written.join('')).not.toContain(PASSWORD);
    expect(annotations.length).toBeGreaterThan(0);
    expect(JSON.stringify(annotations)).not.toContain(PASSWORD);
    expect(readFileSync(`${directory}-events.jsonl`, 'utf8')).not.toContain(PASSWORD);
  });

  it('every line of every stage carries exportId and projectId', () => {
    const byStage = new Map<string, LogLine[]>();
    for (const line of logLines().filter((l) => l.stage)) {
      byStage.set(line.stage!, [...(byStage.get(line.stage!) ?? []), line]);
    }
    expect([...byStage.keys()].sort()).toEqual(['package', 'plan', 'render']);
    for (const [, stageLines] of byStage) {
      expect(stageLines.map((l) => l.message)).toContain('stage started');
      expect(stageLines.map((l) => l.message)).toContain('stage finished');
      for (const line of stageLines) {
        expect(line).toMatchObject({
          exportId: record.id,
          projectId: P,
          service: 'annotation-export',
        });
        expect(line.function_request_id).toEqual(expect.any(String));
      }
    }
    expect(annotations).toContainEqual(['exportId', record.id]);
    expect(annotations).toContainEqual(['projectId', P]);
  });

  it("the API's lines carry its request id, project and the export it made", () => {
    const requests = logLines().filter((l) => l.message === 'request finished');
    const post = requests.find((l) => l.route === 'POST /projects/{projectId}/exports');
    expect(post).toMatchObject({ projectId: P, exportId: record.id, status: 202 });
    expect(post?.requestId).toEqual(expect.any(String));
  });

  it('emits EMF: started and succeeded by format, counts, bytes, seconds per stage, 4xx by route', () => {
    const blobs = emf();
    for (const blob of blobs)
      expect(blob._aws.CloudWatchMetrics[0]!.Namespace).toBe('AnnotationExport');
    const find = (metric: string, dims: Record<string, string> = {}) =>
      blobs.filter(
        (b) => metric in b && Object.entries(dims).every(([key, value]) => b[key] === value),
      );
    expect(find('ExportsStarted', { format: 'coco' })).toHaveLength(1);
    expect(find('ExportsSucceeded', { format: 'coco' })).toHaveLength(1);
    const archive = record.archive as { bytes: number };
    const counts = record.counts as { items: number; annotations: number };
    const packaged = find('ArchiveBytes', { stage: 'package' });
    expect(packaged).toHaveLength(1);
    expect(packaged[0]).toMatchObject({
      ArchiveBytes: archive.bytes,
      ExportedItems: counts.items,
      ExportedAnnotations: counts.annotations,
    });
    for (const stage of ['plan', 'render', 'package'])
      expect(find('StageSeconds', { stage }).length).toBeGreaterThan(0);
    expect(find('Api4xx', { route: 'GET /projects/{projectId}/exports/{exportId}' })).toHaveLength(
      1,
    );
    expect(find('Api5xx')).toHaveLength(0);
  });

  it('puts an Export Succeeded event with ids, counts and bytes on the bus', () => {
    const events = readFileSync(`${directory}-events.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LocalEvent);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'annotation-export',
      'detail-type': 'Export Succeeded',
      detail: {
        exportId: record.id,
        projectId: P,
        name: record.name,
        format: 'coco',
        status: 'SUCCEEDED',
        counts: record.counts,
        bytes: (record.archive as { bytes: number }).bytes,
        reason: null,
      },
    });
  });
});
