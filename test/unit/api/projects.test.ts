import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../functions/api/handler';
import { routeOfPath } from '../../../shared/api/routes';
import { expiresAt, recordKeys, type ExportRecord } from '../../../shared/exports/record';
import { StoreWriter } from '../../../shared/store/writer';
import { buildSampleProject, SAMPLE_TASK_IDS } from '../../../local/sample';
import { BUCKETS, fakeAws, type FakeAws } from './fake-aws';

let aws: FakeAws;
let handler: ReturnType<typeof createApiHandler>;
const sample = buildSampleProject();

async function seedProject(id: string, name: string): Promise<void> {
  const writer = new StoreWriter(aws.deps.s3, BUCKETS.data, id);
  await writer.project({ ...sample.project, id, name });
  for (const { dataset } of sample.datasets) await writer.dataset(dataset);
  for (const { task } of sample.tasks) await writer.task(task);
}

beforeEach(async () => {
  aws = fakeAws();
  handler = createApiHandler(() => aws.deps);
  await seedProject('alpha', 'Alpha streets');
  await seedProject('beta', 'Beta fields');
  await seedProject('gamma', 'Gamma docks');
});

async function get(path: string, groups: string | null) {
  const matched = routeOfPath(path);
  const response = (await handler(
    {
      httpMethod: 'GET',
      path,
      resource: matched?.resource ?? '/{proxy+}',
      pathParameters: matched?.params ?? null,
      queryStringParameters: null,
      headers: {},
      body: null,
      isBase64Encoded: false,
      requestContext: {
        requestId: 'r1',
        authorizer:
          groups === null ? undefined : { claims: { sub: 'user-1', 'cognito:groups': groups } },
      },
    } as unknown as APIGatewayProxyEvent,
    { awsRequestId: 'l1', getRemainingTimeInMillis: () => 29_000 } as unknown as Context,
  )) as APIGatewayProxyResult;
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('GET /projects', () => {
  it('lists every project of the store, by name, for admin', async () => {
    const { status, body } = await get('/projects', '[admin]');
    expect(status).toBe(200);
    expect(body.projects).toEqual([
      { id: 'alpha', name: 'Alpha streets', created_at: sample.project.created_at },
      { id: 'beta', name: 'Beta fields', created_at: sample.project.created_at },
      { id: 'gamma', name: 'Gamma docks', created_at: sample.project.created_at },
    ]);
  });

  it('lists only the projects of the caller’s project:{id} groups', async () => {
    const { body } = await get('/projects', '[project:gamma project:alpha readers]');
    expect(body.projects.map((p: { id: string }) => p.id)).toEqual(['alpha', 'gamma']);
  });

  it('lists nothing for a group whose project does not exist or whose id is unsafe', async () => {
    const { status, body } = await get('/projects', '[project:nowhere project:.. project:a/b]');
    expect(status).toBe(200);
    expect(body.projects).toEqual([]);
  });

  it('needs an identity', async () => {
    expect((await get('/projects', null)).status).toBe(403);
  });
});

describe('expires_at', () => {
  it('is the midnight UTC after creation plus the retention days, as S3 lifecycle rules count', () => {
    expect(expiresAt(new Date('2026-02-01T10:30:00Z'), 30)).toBe('2026-03-04T00:00:00.000Z');
    expect(expiresAt(new Date('2026-02-01T00:00:00Z'), 1)).toBe('2026-02-03T00:00:00.000Z');
  });

  it('is set on the record from the retention setting and shown in the table', async () => {
    aws.deps.retentionDays = 7;
    aws.deps.now = () => new Date('2026-05-10T22:15:00Z');
    const created = await handler(
      {
        httpMethod: 'POST',
        path: '/projects/alpha/exports',
        resource: '/projects/{projectId}/exports',
        pathParameters: { projectId: 'alpha' },
        queryStringParameters: null,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'annotations',
          taskId: SAMPLE_TASK_IDS.objectDetection,
          format: 'coco',
          datasetIds: ['streets'],
          split: { subsets: [{ name: 'train', percent: 100 }] },
          password: 'secret',
        }),
        isBase64Encoded: false,
        requestContext: {
          requestId: 'r2',
          authorizer: { claims: { sub: 'u', 'cognito:groups': 'admin' } },
        },
      } as unknown as APIGatewayProxyEvent,
      { awsRequestId: 'l2', getRemainingTimeInMillis: () => 29_000 } as unknown as Context,
    );
    const record = JSON.parse((created as APIGatewayProxyResult).body) as ExportRecord;
    expect(record.expires_at).toBe('2026-05-18T00:00:00.000Z');
    const stored = JSON.parse(aws.text(BUCKETS.exports, recordKeys.record('alpha', record.id))!);
    expect(stored.expires_at).toBe('2026-05-18T00:00:00.000Z');
    const { body } = await get('/projects/alpha/exports', 'admin');
    expect(body.items[0]).toMatchObject({
      expires_at: '2026-05-18T00:00:00.000Z',
      datasetIds: ['streets'],
      subsets: [{ name: 'train', percent: 100 }],
      encryption: 'aes256',
    });
  });
});
