import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiHandler } from '../../../functions/api/handler';
import { routeOfPath } from '../../../shared/api/routes';
import { recordKeys, type ExportRecord } from '../../../shared/exports/record';
import { formatTable } from '../../../shared/formats/index';
import { safeName } from '../../../shared/names';
import { workKeys } from '../../../shared/pipeline/work';
import { lambdaContext } from '../../../local/lambda-context';
import { buildSampleProject, SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../../local/sample';
import { awsError, BUCKETS, fakeAws, storeProject, type FakeAws } from './fake-aws';

const P = SAMPLE_PROJECT_ID;
const OD = SAMPLE_TASK_IDS.objectDetection;
const MEMBER = `project:${P}`;

let aws: FakeAws;
let handler: ReturnType<typeof createApiHandler>;

const sample = buildSampleProject();

beforeEach(async () => {
  aws = fakeAws();
  handler = createApiHandler(() => aws.deps);
  await storeProject(aws, sample);
});

interface Call {
  body?: unknown;
  rawBody?: string;
  groups?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

function context(): Context {
  return lambdaContext('api', { requestId: 'lambda-request-1', timeoutMs: 29_000 });
}

/** An API Gateway REST proxy event as the Cognito authorizer passes it (groups as one string). */
function event(method: string, path: string, call: Call = {}): APIGatewayProxyEvent {
  const matched = routeOfPath(path);
  const groups = call.groups === undefined ? MEMBER : call.groups;
  return {
    httpMethod: method,
    path,
    resource: matched?.resource ?? '/{proxy+}',
    pathParameters: matched?.params ?? null,
    queryStringParameters: call.query ?? null,
    multiValueQueryStringParameters: null,
    headers: { 'Content-Type': 'application/json', ...call.headers },
    multiValueHeaders: {},
    body: call.rawBody ?? (call.body === undefined ? null : JSON.stringify(call.body)),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: 'gateway-request-1',
      authorizer:
        groups === null ? undefined : { claims: { sub: 'user-1', 'cognito:groups': groups } },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

async function call(method: string, path: string, options: Call = {}) {
  const response = (await handler(
    event(method, path, options),
    context(),
  )) as APIGatewayProxyResult;
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    // Bodies are read field by field, as a client would.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: response.body ? (JSON.parse(response.body) as Record<string, any>) : undefined,
  };
}

const odRequest = { type: 'both', taskId: OD, format: 'coco' };

function record(id: string, change: Partial<ExportRecord> = {}): ExportRecord {
  return {
    id,
    projectId: P,
    name: `export ${id}`,
    type: 'both',
    task: { id: OD, name: 'Detect', type: 'object_detection' },
    format: 'coco',
    maskKind: null,
    encryption: null,
    request: odRequest as ExportRecord['request'],
    status: 'SUCCEEDED',
    progress: { done: 2, total: 2 },
    created_at: '2026-02-01T00:00:00.000Z',
    started_at: '2026-02-01T00:00:01.000Z',
    finished_at: '2026-02-01T00:00:09.000Z',
    archive: { key: recordKeys.archive(P, id, 'export'), bytes: 1234, crc32: '0000abcd', files: 3 },
    counts: { items: 20, annotations: 40 },
    warnings: [],
    error: null,
    ...change,
  };
}

function storeRecord(r: ExportRecord): void {
  aws.put(BUCKETS.exports, recordKeys.record(r.projectId, r.id), JSON.stringify(r));
  if (r.archive) aws.put(BUCKETS.exports, r.archive.key, 'zip bytes');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const ID1 = '20260201T000000000Z-00000001';
const ID2 = '20260202T000000000Z-00000002';
const ID3 = '20260203T000000000Z-00000003';
/** The columns an unreadable row cannot fill. */
const NULL_COLUMNS = ['name', 'task', 'format', 'maskKind', 'type', 'finished_at', 'bytes'];

describe('authorisation from the cognito:groups claim', () => {
  const routes: Array<[string, string, Call?]> = [
    ['GET', `/projects/${P}/tasks`],
    ['GET', `/projects/${P}/exports`],
    ['POST', `/projects/${P}/exports`, { body: odRequest }],
    ['GET', `/projects/${P}/exports/${ID1}`],
    ['DELETE', `/projects/${P}/exports/${ID1}`],
  ];

  it.each(routes)(
    '%s %s answers 403 to members of other projects only',
    async (method, path, c) => {
      storeRecord(record(ID1));
      const denied = await call(method, path, { ...c, groups: 'project:other,project:sample2' });
      expect(denied.status).toBe(403);
      expect(denied.body!.error.code).toBe('ForbiddenError');
      expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
      expect(aws.text(BUCKETS.exports, recordKeys.record(P, ID1))).toBeDefined();
      const noIdentity = await call(method, path, { ...c, groups: null });
      expect(noIdentity.status).toBe(403);
    },
  );

  it.each([
    ['one bare group', MEMBER],
    ['bracketed', `[project:other ${MEMBER}]`],
    ['a JSON array', JSON.stringify(['project:other', MEMBER])],
    ['admin', '[admin]'],
  ])('lets a caller in whose groups claim is %s', async (_, groups) => {
    storeRecord(record(ID1));
    for (const [method, path, c] of routes) {
      const response = await call(method, path, { ...c, groups });
      expect([200, 202, 204], `${method} ${path}`).toContain(response.status);
    }
  });

  it('GET /formats needs a signed-in caller but no project group', async () => {
    expect((await call('GET', '/formats', { groups: '' })).status).toBe(200);
    expect((await call('GET', '/formats', { groups: null })).status).toBe(403);
  });
});

describe('GET /formats', () => {
  it('serves the registry table', async () => {
    const response = await call('GET', '/formats');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(JSON.parse(JSON.stringify({ formats: formatTable() })));
    expect(response.body!.formats.map((f: { id: string }) => f.id)).toContain('yolo_darknet');
    expect(response.body!.formats.map((f: { id: string }) => f.id)).toContain('yolo_ultralytics');
  });
});

describe('GET /projects/{projectId}/tasks', () => {
  it('lists the tasks with their datasets, and every dataset', async () => {
    const response = await call('GET', `/projects/${P}/tasks`);
    expect(response.status).toBe(200);
    expect(response.body!.tasks.map((t: { id: string }) => t.id).sort()).toEqual(
      sample.tasks.map((t) => t.task.id).sort(),
    );
    const od = response.body!.tasks.find((t: { id: string }) => t.id === OD);
    expect(od.type).toBe('object_detection');
    expect(od.datasets.map((d: { id: string }) => d.id)).toEqual(
      sample.tasks.find((t) => t.task.id === OD)!.task.dataset_ids,
    );
    expect(od.datasets[0]).toEqual({ id: 'streets', name: 'Streets: day/night', media: 'image' });
    expect(response.body!.datasets).toHaveLength(sample.datasets.length);
  });

  it('answers 404 for a project that does not exist', async () => {
    const response = await call('GET', '/projects/nowhere/tasks', { groups: 'admin' });
    expect(response.status).toBe(404);
    expect(response.body!.error.code).toBe('NotFoundError');
  });
});

describe('POST /projects/{projectId}/exports', () => {
  it('answers 202 with the QUEUED record and starts the execution named after the export', async () => {
    const response = await call('POST', `/projects/${P}/exports`, {
      body: { ...odRequest, name: 'nightly', password: 'open sesame' },
    });
    expect(response.status).toBe(202);
    const id = response.body!.id as string;
    expect(id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/);
    expect(response.headers.location).toBe(`/projects/${P}/exports/${id}`);
    expect(response.body).toMatchObject({
      name: 'nightly',
      status: 'QUEUED',
      format: 'coco',
      type: 'both',
      encryption: 'aes256',
      task: { id: OD, type: 'object_detection' },
    });
    const starts = aws.sfnMock.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args[0].input.name).toBe(id);
    // The password reaches the secret store and nothing else.
    expect(aws.text(BUCKETS.exports, `secrets/${id}`)).toBe('open sesame');
    expect(starts[0]!.args[0].input.input).not.toContain('open sesame');
    expect(aws.text(BUCKETS.exports, recordKeys.record(P, id))).not.toContain('open sesame');
    expect(JSON.stringify(response.body)).not.toContain('open sesame');
  });
});

describe('POST /projects/{projectId}/exports: refused requests', () => {
  it('answers 400 listing every problem of the request', async () => {
    const response = await call('POST', `/projects/${P}/exports`, {
      body: {
        type: 'both',
        format: 'nope',
        split: { subsets: [{ name: 'train', percent: 70 }] },
        encryption: 'zipcrypto',
      },
    });
    expect(response.status).toBe(400);
    expect(response.body!.error.code).toBe('ValidationError');
    expect(response.body!.error.details).toEqual(
      expect.arrayContaining([expect.stringContaining('format must be one of')]),
    );
    const valid = await call('POST', `/projects/${P}/exports`, {
      body: {
        type: 'both',
        split: { subsets: [{ name: 'train', percent: 70 }] },
        encryption: 'zipcrypto',
      },
    });
    expect(valid.status).toBe(400);
    expect(valid.body!.error.details).toEqual([
      'taskId is required for type both',
      'format is required for type both',
      'encryption needs a password',
      'split.subsets percents must sum to 100, not 70',
    ]);
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 400 naming task type and format when they do not go together', async () => {
    const response = await call('POST', `/projects/${P}/exports`, {
      body: { type: 'annotations', taskId: SAMPLE_TASK_IDS.classification, format: 'coco' },
    });
    expect(response.status).toBe(400);
    expect(response.body!.error.message).toMatch(/coco/);
    expect(response.body!.error.message).toMatch(/classification/);
  });

  it('answers 404 for a task that does not exist', async () => {
    const response = await call('POST', `/projects/${P}/exports`, {
      body: { ...odRequest, taskId: 'missing-task' },
    });
    expect(response.status).toBe(404);
    expect(response.body!.error.message).toMatch(/missing-task/);
  });
});

describe('POST /projects/{projectId}/exports: bodies', () => {
  it('answers 400 to malformed JSON and to a missing body', async () => {
    const malformed = await call('POST', `/projects/${P}/exports`, { rawBody: '{"type": "both",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body!.error.message).toMatch(/not valid JSON/);
    const missing = await call('POST', `/projects/${P}/exports`);
    expect(missing.status).toBe(400);
  });

  it('answers 413 to a body over 64 KB before reading it', async () => {
    const response = await call('POST', `/projects/${P}/exports`, {
      body: { ...odRequest, name: 'x'.repeat(64 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(response.body!.error.code).toBe('PayloadTooLargeError');
    const atLimit = JSON.stringify({ ...odRequest, name: 'n' }).padEnd(64 * 1024, ' ');
    expect((await call('POST', `/projects/${P}/exports`, { rawBody: atLimit })).status).toBe(202);
  });

  it('answers 413 to a base64-encoded body over 64 KB', async () => {
    const e = event('POST', `/projects/${P}/exports`, {});
    e.body = Buffer.from(' '.repeat(64 * 1024 + 1)).toString('base64');
    e.isBase64Encoded = true;
    const response = (await handler(e, context())) as APIGatewayProxyResult;
    expect(response.statusCode).toBe(413);
  });
});

/** A POST of an export under an Idempotency-Key. */
const postWithKey = (body: unknown, key = 'key-1') =>
  call('POST', `/projects/${P}/exports`, { body, headers: { 'Idempotency-Key': key } });

describe('Idempotency-Key', () => {
  it('gives back the same export for the same key and body, whatever its key order', async () => {
    const first = await postWithKey({ ...odRequest, password: 'pw' });
    const again = await postWithKey({ password: 'pw', format: 'coco', taskId: OD, type: 'both' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body!.id).toBe(first.body!.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    // The entry remembers the body without its password.
    const entries = aws.keys(BUCKETS.exports, `exports/${P}/idempotency/`);
    expect(entries).toHaveLength(1);
    expect(aws.text(BUCKETS.exports, entries[0]!)).not.toContain('pw"');
  });

  it('answers 409 for the same key with another body or another password', async () => {
    await postWithKey({ ...odRequest, password: 'pw' });
    const other = await postWithKey({ ...odRequest, format: 'csv', password: 'pw' });
    expect(other.status).toBe(409);
    expect(other.body!.error.code).toBe('ConflictError');
    expect((await postWithKey({ ...odRequest, password: 'other' })).status).toBe(409);
    expect((await postWithKey(odRequest)).status).toBe(409);
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('keys are separate: another key starts another export', async () => {
    const a = await postWithKey(odRequest, 'a');
    const b = await postWithKey(odRequest, 'b');
    expect(a.body!.id).not.toBe(b.body!.id);
  });

  it('makes one export of 20 concurrent first uses of a key: 202 with its id, or 409', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postWithKey({ ...odRequest, password: 'pw' }, 'nightly')),
    );
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((status) => status === 202 || status === 409),
      String(statuses),
    ).toBe(true);
    const ids = new Set(responses.filter((r) => r.status === 202).map((r) => r.body!.id));
    expect(ids.size).toBe(1);
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(aws.keys(BUCKETS.exports, 'secrets/')).toHaveLength(1);
  });
});

describe('Idempotency-Key: keys whose export is gone or never started', () => {
  it('restarts a key whose export was deleted once only, however many requests race for it', async () => {
    const first = await postWithKey(odRequest, 'again');
    aws.executions.set(first.body!.id, { name: first.body!.id, input: '{}', status: 'ABORTED' });
    expect((await call('DELETE', `/projects/${P}/exports/${first.body!.id}`)).status).toBe(204);
    // The entry is stale once its export has gone and it is older than the in-flight window.
    const [entryKey] = aws.keys(BUCKETS.exports, `exports/${P}/idempotency/`);
    const entry = JSON.parse(aws.text(BUCKETS.exports, entryKey!)!);
    aws.put(
      BUCKETS.exports,
      entryKey!,
      JSON.stringify({ ...entry, created_at: '2026-01-01T00:00:00.000Z' }),
    );
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => postWithKey(odRequest, 'again')),
    );
    const ids = new Set(responses.filter((r) => r.status === 202).map((r) => r.body!.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).not.toBe(first.body!.id);
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('releases the key when the export could not start, so the corrected request may reuse it', async () => {
    const missing = await postWithKey({ ...odRequest, taskId: 'missing-task' });
    expect(missing.status).toBe(404);
    const fixed = await postWithKey(odRequest);
    expect(fixed.status).toBe(202);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('GET /projects/{projectId}/exports', () => {
  it('lists newest first with cursor paging', async () => {
    for (const id of [ID2, ID1, ID3]) storeRecord(record(id));
    aws.put(BUCKETS.exports, `exports/${P}/idempotency/abc.json`, '{}');
    const first = await call('GET', `/projects/${P}/exports`, { query: { limit: '2' } });
    expect(first.status).toBe(200);
    expect(first.body!.items.map((r: { id: string }) => r.id)).toEqual([ID3, ID2]);
    expect(first.body!.next_cursor).toEqual(expect.any(String));
    const second = await call('GET', `/projects/${P}/exports`, {
      query: { limit: '2', cursor: first.body!.next_cursor },
    });
    expect(second.body!.items.map((r: { id: string }) => r.id)).toEqual([ID1]);
    expect(second.body!.next_cursor).toBeNull();
  });

  it('shows the table columns, and a 15-minute download URL only when SUCCEEDED', async () => {
    storeRecord(record(ID1));
    storeRecord(
      record(ID2, {
        status: 'FAILED',
        archive: null,
        error: { code: 'ValidationError', message: 'bad line', details: [] },
      }),
    );
    const { body } = await call('GET', `/projects/${P}/exports`);
    const [failed, succeeded] = body!.items;
    expect(succeeded).toMatchObject({
      id: ID1,
      name: `export ${ID1}`,
      task: { id: OD },
      format: 'coco',
      type: 'both',
      status: 'SUCCEEDED',
      progress: { done: 2, total: 2 },
      created_at: '2026-02-01T00:00:00.000Z',
      finished_at: '2026-02-01T00:00:09.000Z',
      bytes: 1234,
    });
    const url = new URL(succeeded.download_url);
    expect(url.pathname).toContain(`/exports/${P}/${ID1}/export.zip`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(failed.status).toBe('FAILED');
    expect(failed.download_url).toBeUndefined();
    expect(failed.error.message).toBe('bad line');
  });

  it('counts the shards done while RUNNING', async () => {
    storeRecord(record(ID1, { status: 'RUNNING', archive: null, progress: { done: 0, total: 4 } }));
    aws.executions.set(ID1, { name: ID1, input: '{}', status: 'RUNNING' });
    for (const shard of [0, 2, 3]) aws.put(BUCKETS.exports, workKeys.stats(ID1, shard), '{}');
    const { body } = await call('GET', `/projects/${P}/exports`);
    expect(body!.items[0]).toMatchObject({ status: 'RUNNING', progress: { done: 3, total: 4 } });
    expect(body!.items[0].download_url).toBeUndefined();
  });
});

describe('GET /projects/{projectId}/exports: exports their execution ended', () => {
  it.each([
    ['TIMED_OUT', 'ExecutionTimedOut'],
    ['ABORTED', 'ExecutionAborted'],
    ['FAILED', 'ExecutionFailed'],
  ] as const)(
    'closes an export still RUNNING whose execution ended %s: FAILED naming the execution, no password or staged work left',
    async (status, code) => {
      storeRecord(record(ID1, { status: 'RUNNING', archive: null, finished_at: null }));
      aws.put(BUCKETS.exports, recordKeys.secret(ID1), 'open sesame');
      aws.put(BUCKETS.exports, workKeys.plan(ID1), '{}');
      aws.executions.set(ID1, { name: ID1, input: '{}', status });
      const { body } = await call('GET', `/projects/${P}/exports/${ID1}`);
      expect(body!.status).toBe('FAILED');
      expect(body!.error.code).toBe(code);
      expect(body!.error.message).toContain(status);
      expect(body!.error.message).toContain(`:execution:export:${ID1}`);
      expect(aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
      expect(aws.keys(BUCKETS.exports, 'work/')).toEqual([]);
      // The record catches up, so that the export can now be deleted.
      expect(JSON.parse(aws.text(BUCKETS.exports, recordKeys.record(P, ID1))!).status).toBe(
        'FAILED',
      );
      expect((await call('DELETE', `/projects/${P}/exports/${ID1}`)).status).toBe(204);
    },
  );

  it('closes, from the table too, an export whose execution ended without a result', async () => {
    storeRecord(record(ID1, { status: 'QUEUED', archive: null, finished_at: null }));
    aws.executions.set(ID1, { name: ID1, input: '{}', status: 'ABORTED' });
    const { body } = await call('GET', `/projects/${P}/exports`);
    expect(body!.items[0]).toMatchObject({ id: ID1, status: 'FAILED' });
    expect(body!.items[0].error.code).toBe('ExecutionAborted');
  });

  it('keeps QUEUED while the execution is not visible yet', async () => {
    const justNow = new Date().toISOString();
    storeRecord(
      record(ID1, { status: 'QUEUED', archive: null, finished_at: null, created_at: justNow }),
    );
    const { body } = await call('GET', `/projects/${P}/exports/${ID1}`);
    expect(body!.status).toBe('QUEUED');
  });

  it('closes a QUEUED export whose execution never appeared within five minutes', async () => {
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000).toISOString();
    storeRecord(
      record(ID1, {
        status: 'QUEUED',
        archive: null,
        finished_at: null,
        created_at: sixMinutesAgo,
      }),
    );
    aws.put(BUCKETS.exports, recordKeys.secret(ID1), 'open sesame');
    const { body } = await call('GET', `/projects/${P}/exports/${ID1}`);
    expect(body).toMatchObject({ status: 'FAILED', error: { code: 'ExecutionMissing' } });
    expect(body!.error.message).toContain(`:execution:export:${ID1}`);
    expect(aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
    expect((await call('DELETE', `/projects/${P}/exports/${ID1}`)).status).toBe(204);
  });
});

describe('GET /projects/{projectId}/exports: missing projects and unreadable rows', () => {
  it('answers 404 for a project that does not exist, like POST', async () => {
    const response = await call('GET', '/projects/nowhere/exports', { groups: 'admin' });
    expect(response.status).toBe(404);
    expect(response.body!.error).toMatchObject({
      code: 'NotFoundError',
      message: expect.stringContaining('nowhere'),
    });
    const post = await call('POST', '/projects/nowhere/exports', {
      groups: 'admin',
      body: odRequest,
    });
    expect(post.status).toBe(404);
  });

  it.each([
    ['truncated', '{"id": "20260202T000000000Z-00000002", "status": "SUCC'],
    ['empty', ''],
    ['not an object', '[1, 2]'],
    ['null', 'null'],
    ['the record of another export', JSON.stringify({ ...record(ID1), id: ID3 })],
    ['without its progress', JSON.stringify({ ...record(ID2), progress: undefined })],
    [
      'RUNNING with a malformed archive',
      JSON.stringify({ ...record(ID2), status: 'RUNNING', archive: { key: 7 } }),
    ],
  ])(
    'lists the other exports and shows a record that is %s as an unreadable row',
    async (_, text) => {
      storeRecord(record(ID1));
      storeRecord(record(ID3));
      aws.put(BUCKETS.exports, recordKeys.record(P, ID2), text);
      const response = await call('GET', `/projects/${P}/exports`);
      expect(response.status).toBe(200);
      const items = response.body!.items;
      expect(items.map((r: { id: string }) => r.id)).toEqual([ID3, ID2, ID1]);
      expect(items[0].status).toBe('SUCCEEDED');
      // What the id tells (the creation time), the reason, and every other column null.
      const { id, status, created_at, progress, error, ...others } = items[1];
      expect({ id, status, created_at, progress }).toEqual({
        id: ID2,
        status: 'UNREADABLE',
        created_at: '2026-02-02T00:00:00.000Z',
        progress: { done: 0, total: 0 },
      });
      expect(error).toEqual({
        code: 'UnreadableRecord',
        message: expect.stringContaining(`the record of export ${ID2} cannot be read`),
        details: [],
      });
      expect(others).toEqual(Object.fromEntries(NULL_COLUMNS.map((column) => [column, null])));
      const one = await call('GET', `/projects/${P}/exports/${ID2}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(items[1]);
      // An unreadable row can be deleted (its execution has ended), and only it goes.
      aws.put(BUCKETS.exports, recordKeys.secret(ID2), 'left behind');
      expect((await call('DELETE', `/projects/${P}/exports/${ID2}`)).status).toBe(204);
      expect(aws.keys(BUCKETS.exports, `exports/${P}/${ID2}/`)).toEqual([]);
      expect(aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
      expect((await call('GET', `/projects/${P}/exports`)).body!.items).toHaveLength(2);
    },
  );
});

describe('GET /projects/{projectId}/exports: deleting unreadable rows, paging parameters', () => {
  it('refuses to delete an unreadable row while its execution runs', async () => {
    aws.put(BUCKETS.exports, recordKeys.record(P, ID2), '{"id":');
    aws.executions.set(ID2, { name: ID2, input: '{}', status: 'RUNNING' });
    expect((await call('DELETE', `/projects/${P}/exports/${ID2}`)).status).toBe(409);
  });

  it('answers 400 to a bad limit or cursor, listing both', async () => {
    const response = await call('GET', `/projects/${P}/exports`, {
      query: { limit: '0', cursor: 'not-a-cursor' },
    });
    expect(response.status).toBe(400);
    expect(response.body!.error.details).toHaveLength(2);
  });
});

describe('GET and DELETE /projects/{projectId}/exports/{exportId}', () => {
  it('GET shows the whole record with its download URL', async () => {
    storeRecord(record(ID1));
    const { status, body } = await call('GET', `/projects/${P}/exports/${ID1}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: ID1, counts: { items: 20, annotations: 40 }, bytes: 1234 });
    expect(body!.download_url).toMatch(/^https:\/\//);
  });

  it('answers 404 for an export that does not exist, 400 for an id that cannot be a key segment', async () => {
    expect((await call('GET', `/projects/${P}/exports/${ID1}`)).status).toBe(404);
    expect((await call('GET', `/projects/${P}/exports/not-an-export-id`)).status).toBe(404);
    expect((await call('GET', `/projects/${P}/exports/..%2F..%2Fsecrets`)).status).toBe(400);
    expect((await call('DELETE', `/projects/${P}/exports/${ID1}`)).status).toBe(404);
  });

  it('DELETE removes the archive and the record', async () => {
    storeRecord(record(ID1));
    storeRecord(record(ID2));
    const response = await call('DELETE', `/projects/${P}/exports/${ID1}`);
    expect(response.status).toBe(204);
    expect(aws.keys(BUCKETS.exports, `exports/${P}/${ID1}/`)).toEqual([]);
    expect(aws.keys(BUCKETS.exports, `exports/${P}/${ID2}/`)).toHaveLength(2);
  });

  it.each(['QUEUED', 'RUNNING'] as const)('DELETE answers 409 while %s', async (status) => {
    storeRecord(record(ID1, { status, archive: null }));
    aws.executions.set(ID1, { name: ID1, input: '{}', status: 'RUNNING' });
    const response = await call('DELETE', `/projects/${P}/exports/${ID1}`);
    expect(response.status).toBe(409);
    expect(response.body!.error.message).toContain(status);
    expect(aws.keys(BUCKETS.exports, `exports/${P}/${ID1}/`)).toHaveLength(1);
  });
});

describe('routing', () => {
  it('answers 404 to an unknown resource and 405 to a method the resource lacks', async () => {
    expect((await call('GET', '/nowhere')).status).toBe(404);
    const wrong = await call('PUT', `/projects/${P}/exports`, { body: odRequest });
    expect(wrong.status).toBe(405);
    expect(wrong.body!.error.message).toContain('GET, POST');
  });
});

const UNSAFE_IDS = [
  '..',
  '.',
  '../../other/tasks/t',
  'a/b',
  'a\\b',
  'a..b',
  'nul\u0000here',
  'tab\there',
  'next\u0085line',
  'del\u007f',
  'over\u202eride',
  'zero\u200bwidth',
  'line\u2028separator',
];

describe('ids that become parts of S3 keys (DESIGN §15)', () => {
  it.each(UNSAFE_IDS.map((id) => [JSON.stringify(id), id]))(
    'answers 400 naming taskId %s, and reads no key built from it',
    async (_, taskId) => {
      const response = await call('POST', `/projects/${P}/exports`, {
        body: { type: 'both', taskId, format: 'coco' },
      });
      expect(response.status).toBe(400);
      expect(response.body!.error.code).toBe('ValidationError');
      expect(response.body!.error.details).toEqual([
        expect.stringMatching(new RegExp(`^taskId ${escapeRegExp(JSON.stringify(taskId))} `)),
      ]);
      const read = aws.s3Mock
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input.Key ?? '')
        .filter((key) => key.includes('tasks/'));
      expect(read).toEqual([]);
      expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    },
  );

  it('answers 400 naming each datasetIds entry that is not a safe segment', async () => {
    const response = await call('POST', `/projects/${P}/exports`, {
      body: {
        type: 'datasets',
        datasetIds: ['streets', '../../../other/datasets/d', 'a\u0000b', 'c\\d'],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body!.error.details).toEqual([
      'datasetIds[1] "../../../other/datasets/d" contains ".."',
      'datasetIds[2] "a\\u0000b" contains the control or invisible character U+0000',
      'datasetIds[3] "c\\\\d" contains "\\"',
    ]);
  });
});

describe('ids that become parts of S3 keys: path project ids', () => {
  it.each([
    ['%2e%2e', '..'],
    ['a%2Fb', 'a/b'],
    ['a%5Cb', 'a\\b'],
    ['nul%00', 'nul\u0000'],
    ['a%C2%85b', 'a\u0085b'],
    ['a%2Cadmin', 'a,admin'],
    ['a%20b', 'a b'],
    ['%22admin%22', '"admin"'],
    ['%5Badmin%5D', '[admin]'],
    ['it%27s', "it's"],
  ])('answers 400 to the path projectId %s (decoded %j) on every route', async (raw, decoded) => {
    for (const [method, path, body] of [
      ['GET', `/projects/${raw}/tasks`],
      ['GET', `/projects/${raw}/exports`],
      ['POST', `/projects/${raw}/exports`, odRequest],
      ['GET', `/projects/${raw}/exports/${ID1}`],
      ['DELETE', `/projects/${raw}/exports/${ID1}`],
    ] as const) {
      const response = await call(method, path, { body, groups: 'admin' });
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.body!.error.message).toMatch(
        new RegExp(`^projectId ${escapeRegExp(JSON.stringify(decoded))} `),
      );
    }
    expect(aws.s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('answers 400 to a path exportId holding NUL or a separator, 404 to one that is only unknown', async () => {
    for (const raw of ['a%00b', '..', 'a%5Cb', 'x%E2%80%AEy'])
      expect((await call('GET', `/projects/${P}/exports/${raw}`)).status, raw).toBe(400);
    expect((await call('GET', `/projects/${P}/exports/nope`)).status).toBe(404);
  });
});

describe('cognito:groups claims that must grant nothing', () => {
  it.each([
    ['a group named project:x,admin', 'project:x,admin'],
    ['a group named "admin" with its quotes', '"admin"'],
    ['a comma-separated string', `project:other,${MEMBER}`],
  ])('answers 403 to %s', async (_, groups) => {
    const response = await call('GET', `/projects/${P}/exports`, { groups });
    expect(response.status).toBe(403);
    expect(response.body!.error.code).toBe('ForbiddenError');
  });

  it.each([
    ['a nested array', '[["admin"]]'],
    ['an array holding a number', '[1]'],
    ['cut-off JSON', '["admin"'],
    ['space-separated names without brackets', `project:other ${MEMBER}`],
    ['brackets inside a name', '[[admin]]'],
  ])('answers 403, never 500, to a malformed claim: %s', async (_, groups) => {
    const response = await call('GET', `/projects/${P}/exports`, { groups });
    expect(response.status).toBe(403);
    expect(response.body!.error.message).toMatch(/cognito:groups claim is malformed/);
  });
});

describe('export names', () => {
  const postNamed = (name: string) =>
    call('POST', `/projects/${P}/exports`, { body: { ...odRequest, name } });

  it.each([
    ['U+202E right-to-left override', 'invoice\u202egpj.zip'],
    ['U+202A left-to-right embedding', 'a\u202ab'],
    ['U+2066 left-to-right isolate', 'a\u2066b'],
    ['U+2069 pop directional isolate', 'a\u2069b'],
    ['U+200B zero-width space', 'a\u200bb'],
    ['U+FEFF byte-order mark', '\ufeffname'],
    ['U+0085 next line', 'a\u0085b'],
    ['a newline', 'a\nb'],
  ])('answers 400 to a name holding %s', async (_, name) => {
    const response = await postNamed(name);
    expect(response.status).toBe(400);
    expect(response.body!.error.details).toEqual([
      expect.stringMatching(/^name contains U\+[0-9A-F]{4}: control characters, bidirectional/),
    ]);
  });

  it('accepts names in emoji, CJK, right-to-left text with a mark, and emoji with joiners', async () => {
    for (const name of ['train 🚀 set', '训练集', 'ייצוא\u200f 2026', '👨‍👩‍👧 exports']) {
      const response = await postNamed(name);
      expect(response.status, name).toBe(202);
      expect(response.body!.name).toBe(name);
    }
  });
});

describe('export passwords', () => {
  it('caps AES passwords at 99 characters, saying why, and lets ZipCrypto keep 128', async () => {
    const post = (password: string, encryption?: string) =>
      call('POST', `/projects/${P}/exports`, {
        body: { ...odRequest, password, ...(encryption ? { encryption } : {}) },
      });
    expect((await post('p'.repeat(99))).status).toBe(202);
    for (const encryption of [undefined, 'aes256']) {
      const response = await post('p'.repeat(100), encryption);
      expect(response.status).toBe(400);
      expect(response.body!.error.details).toEqual([
        'password is 100 characters: AES-256 passwords may have at most 99, because 7-Zip cannot open archives with longer ones (zipcrypto allows 128)',
      ]);
    }
    expect((await post('p'.repeat(128), 'zipcrypto')).status).toBe(202);
    expect((await post('p'.repeat(129), 'zipcrypto')).status).toBe(400);
  });

  it.each([
    ['CJK', '训练集'],
    ['emoji', 'set 🚀'],
    ['right-to-left', 'ייצוא'],
    ['accents and quotes', 'Café "final"'],
  ])(
    'signs a download link for a name in %s with an RFC 6266 filename* and an ASCII fallback',
    async (_, name) => {
      const id = ID1;
      const archiveName = safeName(name);
      storeRecord(
        record(id, {
          name,
          archive: { ...record(id).archive!, key: recordKeys.archive(P, id, archiveName) },
        }),
      );
      const { status, body } = await call('GET', `/projects/${P}/exports/${id}`);
      expect(status).toBe(200);
      const disposition = new URL(body!.download_url).searchParams.get(
        'response-content-disposition',
      )!;
      expect(disposition).toMatch(/^[\x20-\x7e]+$/);
      const [, fallback, encoded] = disposition.match(
        /^attachment; filename="([^"\\]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+^_`|~.%-]+)$/,
      )!;
      expect(decodeURIComponent(encoded!)).toBe(`${archiveName}.zip`);
      expect(fallback).toMatch(/\.zip$/);
    },
  );
});

describe('dateRange', () => {
  const postFrom = (from: string) =>
    call('POST', `/projects/${P}/exports`, { body: { ...odRequest, dateRange: { from } } });

  it.each([
    '1',
    'March 7, 2026',
    '2026-02-30',
    '2026-02-30T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-03-07T24:00:00Z',
    '2026-03-07T12:60:00Z',
    '2026-03-07',
    '2026-03-07T12:00:00',
    '2026-03-07 12:00:00Z',
    '2026-03-07T12:00:00+25:00',
    '20260307T120000Z',
  ])('answers 400 to %j, which is no ISO-8601 date-time with a time zone', async (from) => {
    const response = await postFrom(from);
    expect(response.status).toBe(400);
    expect(response.body!.error.details).toEqual([
      `dateRange.from ${JSON.stringify(from)} is not an ISO-8601 date-time with a time zone (2026-03-07T00:00:00Z, 2026-03-07T09:30:00+01:00)`,
    ]);
  });

  it.each([
    '2024-02-29T00:00:00Z',
    '2026-03-07T12:00Z',
    '2026-03-07T12:00:00.123456+05:30',
    '2026-12-31T23:59:59-12:00',
  ])('accepts %j', async (from) => expect((await postFrom(from)).status).toBe(202));
});

const expectInternal = (response: Awaited<ReturnType<typeof call>>, leaked: string[]) => {
  expect(response.status).toBe(500);
  expect(response.body!.error.code).toBe('InternalError');
  expect(response.body!.error.details).toEqual({ requestId: 'gateway-request-1' });
  expect(response.body!.error.message).toContain('gateway-request-1');
  for (const text of leaked) expect(JSON.stringify(response.body)).not.toContain(text);
};

describe('failures of S3 and Step Functions', () => {
  beforeEach(() => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  it('answers 500 with a request id when S3 fails reading a record', async () => {
    storeRecord(record(ID1));
    aws.s3Mock
      .on(GetObjectCommand)
      .rejects(awsError('InternalError', 500, 'We encountered an internal error at export-bucket'));
    expectInternal(await call('GET', `/projects/${P}/exports/${ID1}`), [
      'export-bucket',
      'internal error at',
    ]);
  });

  it('answers 500 when S3 denies a listing', async () => {
    aws.s3Mock
      .on(ListObjectsV2Command)
      .rejects(awsError('AccessDenied', 403, 'Access Denied for arn:aws:iam::123456789012:role/x'));
    expectInternal(await call('GET', `/projects/${P}/exports`), ['arn:aws', 'AccessDenied']);
  });

  it('answers 500 when S3 fails writing the record, and starts nothing', async () => {
    aws.s3Mock.on(PutObjectCommand).rejects(awsError('SlowDown', 503, 'slow down'));
    expectInternal(await call('POST', `/projects/${P}/exports`, { body: odRequest }), ['SlowDown']);
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 500 when StartExecution fails, and the record says FAILED instead of QUEUED', async () => {
    aws.sfnMock
      .on(StartExecutionCommand)
      .rejects(
        awsError('ThrottlingException', 400, 'State machine arn:aws:states:secret is throttled'),
      );
    expectInternal(
      await call('POST', `/projects/${P}/exports`, { body: { ...odRequest, password: 'pw' } }),
      ['arn:aws', 'Throttling'],
    );
    const [key] = aws.keys(BUCKETS.exports, `exports/${P}/`);
    const stored = JSON.parse(aws.text(BUCKETS.exports, key!)!) as ExportRecord;
    expect(stored.status).toBe('FAILED');
    expect(aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
  });

  it('answers 500 when DescribeExecution fails', async () => {
    storeRecord(record(ID1, { status: 'RUNNING', archive: null }));
    aws.sfnMock
      .on(DescribeExecutionCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          400,
          'User arn:aws:sts::1:assumed-role is not authorized',
        ),
      );
    expectInternal(await call('GET', `/projects/${P}/exports/${ID1}`), [
      'arn:aws',
      'not authorized',
    ]);
  });
});

describe('failures of S3 and Step Functions: logs', () => {
  it('logs the internals it does not show, without the request body', async () => {
    // The function logs JSON lines (Powertools) to the process's stdout and stderr.
    const lines: string[] = [];
    const capture = (chunk: unknown) => (lines.push(String(chunk)), true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    aws.sfnMock.on(StartExecutionCommand).rejects(new Error('boom inside'));
    await call('POST', `/projects/${P}/exports`, {
      body: { ...odRequest, password: 'hunter2' },
    }).finally(() => {
      out.mockRestore();
      err.mockRestore();
    });
    const logged = lines.join('\n');
    expect(logged).toContain('boom inside');
    expect(logged).toContain('gateway-request-1');
    expect(logged).not.toContain('hunter2');
  });
});
