import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { S3Event } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createS3RequestHandler } from '../../../functions/s3-request/handler';
import { recordKeys, type ExportRecord } from '../../../shared/exports/record';
import { PROCESSED_METADATA } from '../../../shared/exports/request-object';
import { lambdaContext } from '../../../local/lambda-context';
import { buildSampleProject, SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../../local/sample';
import { BUCKETS, fakeAws, storeProject, type FakeAws } from './fake-aws';

const P = SAMPLE_PROJECT_ID;
const sample = buildSampleProject();
let aws: FakeAws;
let handler: ReturnType<typeof createS3RequestHandler>;
/** The puts that stored the project before each test. */
let seededWrites: number;

beforeEach(async () => {
  aws = fakeAws();
  handler = createS3RequestHandler(() => aws.deps);
  seededWrites = await storeProject(aws, sample);
});

/** The notification S3 sends for a created object: the key URL-encoded, spaces as `+`. */
function created(key: string, sequencer = '0062E99A88DC407460'): S3Event {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-03-01T12:00:00.000Z',
        s3: {
          bucket: { name: BUCKETS.data },
          object: {
            key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
            sequencer,
            eTag: 'etag',
          },
        },
      },
    ],
  } as unknown as S3Event;
}

const COCO_REQUEST = { type: 'both', taskId: SAMPLE_TASK_IDS.objectDetection, format: 'coco' };
/** Writes a request object to the data bucket; `run(created(key))` then sends its notification. */
const putRequest = (key: string, body: unknown = COCO_REQUEST) =>
  aws.put(BUCKETS.data, key, JSON.stringify(body));

const run = (event: S3Event) => handler(event, lambdaContext('s3-request'));
const status = (key: string) => JSON.parse(aws.text(BUCKETS.data, key) ?? 'null');

describe('S3 request objects', () => {
  it('starts an export and writes its id to the status object', async () => {
    const key = `requests/${P}/nightly coco.json`;
    putRequest(key);
    await run(created(key));
    const outcome = status(`requests/${P}/nightly coco.status.json`);
    expect(outcome).toMatchObject({ status: 'STARTED', projectId: P, request: key });
    const record = JSON.parse(
      aws.text(BUCKETS.exports, recordKeys.record(P, outcome.exportId))!,
    ) as ExportRecord;
    expect(record).toMatchObject({ status: 'QUEUED', format: 'coco' });
    const starts = aws.sfnMock.commandCalls(StartExecutionCommand);
    expect(starts.map((c) => c.args[0].input.name)).toEqual([outcome.exportId]);
  });

  it('moves a password to the secret store and rewrites the object without it', async () => {
    const key = `requests/${P}/secret.json`;
    aws.put(
      BUCKETS.data,
      key,
      JSON.stringify({
        type: 'annotations',
        taskId: SAMPLE_TASK_IDS.objectDetection,
        format: 'csv',
        password: 'p4ss word',
        encryption: 'zipcrypto',
      }),
    );
    await run(created(key));
    const { exportId } = status(`requests/${P}/secret.status.json`);
    expect(aws.text(BUCKETS.exports, `secrets/${exportId}`)).toBe('p4ss word');
    const rewritten = JSON.parse(aws.text(BUCKETS.data, key)!);
    expect(rewritten).toEqual({
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'csv',
      encryption: 'zipcrypto',
    });
    expect(aws.metadata.get(`${BUCKETS.data}/${key}`)).toEqual({ [PROCESSED_METADATA]: exportId });
    // The rewrite is itself a created object: its notification starts nothing.
    await run(created(key, '0062E99A88DC407470'));
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });
});

describe('S3 request objects: problems of a bad request', () => {
  it('lists every problem of a bad request in the status object, and removes its password', async () => {
    const key = `requests/${P}/bad.json`;
    aws.put(
      BUCKETS.data,
      key,
      JSON.stringify({ type: 'both', format: 'masks', password: 'pw', colour: 'red' }),
    );
    await run(created(key));
    const outcome = status(`requests/${P}/bad.status.json`);
    expect(outcome.status).toBe('REJECTED');
    expect(outcome.error.code).toBe('ValidationError');
    expect(outcome.error.details).toEqual([
      'request has an unknown field "colour"',
      'taskId is required for type both',
      'maskKind is required with the masks format',
    ]);
    expect(aws.text(BUCKETS.data, key)).not.toContain('pw');
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(aws.keys(BUCKETS.exports)).toEqual([]);

    aws.put(BUCKETS.data, key, JSON.stringify({ type: 'both', format: 'masks' }));
    await run(created(key, '0062E99A88DC407480'));
    expect(status(`requests/${P}/bad.status.json`).error.details).toEqual([
      'taskId is required for type both',
      'maskKind is required with the masks format',
    ]);
  });
});

describe('S3 request objects: refusals, and deliveries that start nothing new', () => {
  it('rejects malformed JSON and an unknown task', async () => {
    aws.put(BUCKETS.data, `requests/${P}/broken.json`, '{"type":');
    await run(created(`requests/${P}/broken.json`));
    expect(status(`requests/${P}/broken.status.json`).error.message).toMatch(/not valid JSON/);
    aws.put(
      BUCKETS.data,
      `requests/${P}/ghost.json`,
      JSON.stringify({ type: 'both', taskId: 'ghost', format: 'coco' }),
    );
    await run(created(`requests/${P}/ghost.json`));
    expect(status(`requests/${P}/ghost.status.json`)).toMatchObject({
      status: 'REJECTED',
      error: { code: 'NotFoundError' },
    });
  });

  it('ignores status objects and keys outside requests/{projectId}/', async () => {
    aws.put(BUCKETS.data, `requests/${P}/x.status.json`, '{}');
    aws.put(BUCKETS.data, `requests/loose.json`, '{}');
    await run(created(`requests/${P}/x.status.json`));
    await run(created('requests/loose.json'));
    // The store seeded in beforeEach, nothing more.
    expect(aws.s3Mock.commandCalls(PutObjectCommand)).toHaveLength(seededWrites);
  });

  it('starts one export however often the same notification is delivered', async () => {
    const key = `requests/${P}/twice.json`;
    putRequest(key);
    await run(created(key));
    await run(created(key));
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
    // A new write of the same key is a new request.
    await run(created(key, '0062E99A88DC407999'));
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('writes an ERROR status and fails the invocation (to be retried) when Step Functions fails', async () => {
    const key = `requests/${P}/retry.json`;
    const body = {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      password: 'pw',
    };
    aws.put(BUCKETS.data, key, JSON.stringify(body));
    aws.sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' }));
    await expect(run(created(key))).rejects.toThrow();
    const failed = status(`requests/${P}/retry.status.json`);
    expect(failed).toMatchObject({ status: 'ERROR', error: { code: 'InternalError' } });
    expect(JSON.stringify(failed)).not.toContain('rate exceeded');
    // Left as it was for the retry, which starts the same export.
    expect(JSON.parse(aws.text(BUCKETS.data, key)!)).toEqual(body);
  });
});

describe('S3 request objects: keys and passwords (DESIGN §15)', () => {
  const writes = () =>
    aws.s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key ?? '');

  it.each([
    'requests/../projects/sample/x.json',
    `requests/${P}/../../projects/${P}/tasks/x.json`,
    'requests/../x.json',
    `requests/${P}/sub/x.json`,
    `requests/${P}\\..\\..\\projects/x.json`,
    `requests/${P}/nul\u0000.json`,
    `requests/${P}/..json`,
  ])('reads and writes nothing for %j, whose segments are not safe', async (key) => {
    putRequest(key);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const outcomes = await run(created(key));
    expect(outcomes).toEqual([null]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(JSON.stringify(key)));
    warn.mockRestore();
    expect(writes()).toHaveLength(seededWrites);
    expect(aws.s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(aws.sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('rejects a request whose project id cannot be a group name, beside the request', async () => {
    const key = 'requests/a,admin/x.json';
    putRequest(key);
    await run(created(key));
    expect(status('requests/a,admin/x.status.json')).toMatchObject({
      status: 'REJECTED',
      error: { code: 'ValidationError', message: expect.stringMatching(/^project id "a,admin"/) },
    });
  });

  it.each([
    ['cut off', '{"type":"both","password":"hunter2 is my password"'],
    ['with a trailing comma', '{"password": "hunter2 is my password",}'],
    ['with the key escaped', '{"pass\\u0077ord": "hunter2 is my password" x}'],
    ['an array', '[{"password":"hunter2 is my password"}]'],
    ['a string', '"password: hunter2 is my password"'],
  ])(
    'deletes a request object that is not a JSON object (%s), and says so in the status',
    async (_, text) => {
      const key = `requests/${P}/broken.json`;
      aws.put(BUCKETS.data, key, text);
      await run(created(key));
      expect(aws.text(BUCKETS.data, key)).toBeUndefined();
      for (const k of aws.keys(BUCKETS.data))
        expect(aws.text(BUCKETS.data, k), k).not.toContain('hunter2');
      expect(aws.keys(BUCKETS.exports)).toEqual([]);
      const outcome = status(`requests/${P}/broken.status.json`);
      expect(outcome).toMatchObject({ status: 'REJECTED', requestDeleted: true });
      expect(outcome.error.details).toContain(
        `${key} was deleted: it is not a JSON object, so a password in it could not be removed`,
      );
    },
  );
});

describe('S3 request objects: status objects of earlier invocations', () => {
  it('tolerates an unreadable status object from an earlier invocation', async () => {
    const key = `requests/${P}/again.json`;
    putRequest(key);
    aws.put(BUCKETS.data, `requests/${P}/again.status.json`, '{"status":"STAR');
    await run(created(key));
    expect(status(`requests/${P}/again.status.json`).status).toBe('STARTED');
  });
});
