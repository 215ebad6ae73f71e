import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ApiDeps } from '../../../shared/api/router';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export interface FakeExecution {
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
}

export interface FakeAws {
  deps: ApiDeps;
  s3Mock: AwsClientStub<S3Client>;
  sfnMock: AwsClientStub<SFNClient>;
  /** `{bucket}/{key}` → body. */
  objects: Map<string, Buffer>;
  /** `{bucket}/{key}` → user metadata. */
  metadata: Map<string, Record<string, string>>;
  executions: Map<string, FakeExecution>;
  text(bucket: string, key: string): string | undefined;
  put(bucket: string, key: string, body: string): void;
  keys(bucket: string, prefix?: string): string[];
}

export const BUCKETS = { data: 'data-bucket', exports: 'export-bucket' };
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:export';

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

const etagOf = (body: Buffer) => JSON.stringify(createHash('md5').update(body).digest('hex'));

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * S3 and Step Functions behind aws-sdk-client-mock, backed by maps: the handler's calls behave as
 * the services would (missing keys, listings with delimiters, conditional puts, execution names),
 * and a test can still make any one command fail.
 */
export function fakeAws(): FakeAws {
  const s3 = new S3Client({ region: 'us-east-1', credentials });
  const sfn = new SFNClient({ region: 'us-east-1', credentials });
  const s3Mock = mockClient(s3);
  const sfnMock = mockClient(sfn);
  const objects = new Map<string, Buffer>();
  const metadata = new Map<string, Record<string, string>>();
  const executions = new Map<string, FakeExecution>();
  const keys = (bucket: string, prefix = '') =>
    [...objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();

  s3Mock.on(GetObjectCommand).callsFake(({ Bucket, Key }: { Bucket: string; Key: string }) => {
    const body = objects.get(`${Bucket}/${Key}`);
    if (!body) throw s3Error('NoSuchKey', 404);
    const stream = Object.assign(Readable.from([body]), {
      transformToByteArray: async () => new Uint8Array(body),
      transformToString: async () => body.toString('utf8'),
    });
    return {
      Body: stream,
      ETag: etagOf(body),
      ContentLength: body.length,
      Metadata: metadata.get(`${Bucket}/${Key}`) ?? {},
    };
  });
  s3Mock.on(HeadObjectCommand).callsFake(({ Bucket, Key }: { Bucket: string; Key: string }) => {
    const body = objects.get(`${Bucket}/${Key}`);
    if (!body) throw s3Error('NotFound', 404);
    return { ContentLength: body.length };
  });
  s3Mock
    .on(PutObjectCommand)
    .callsFake(
      async ({
        Bucket,
        Key,
        Body,
        IfNoneMatch,
        IfMatch,
        Metadata,
      }: {
        Bucket: string;
        Key: string;
        Body: unknown;
        IfNoneMatch?: string;
        IfMatch?: string;
        Metadata?: Record<string, string>;
      }) => {
        const bytes = await bodyBytes(Body);
        // Checked and written in one step, as S3 does a conditional put.
        const current = objects.get(`${Bucket}/${Key}`);
        if (IfNoneMatch === '*' && current) throw s3Error('PreconditionFailed', 412);
        if (IfMatch !== undefined && !current) throw s3Error('NoSuchKey', 404);
        if (IfMatch !== undefined && etagOf(current!) !== IfMatch)
          throw s3Error('PreconditionFailed', 412);
        objects.set(`${Bucket}/${Key}`, bytes);
        metadata.set(`${Bucket}/${Key}`, Metadata ?? {});
        return {};
      },
    );
  s3Mock
    .on(ListObjectsV2Command)
    .callsFake(
      ({
        Bucket,
        Prefix = '',
        Delimiter,
      }: {
        Bucket: string;
        Prefix?: string;
        Delimiter?: string;
      }) => {
        const all = keys(Bucket, Prefix);
        if (!Delimiter)
          return { Contents: all.map((Key) => ({ Key, Size: 1 })), IsTruncated: false };
        const contents: string[] = [];
        const common = new Set<string>();
        for (const key of all) {
          const rest = key.slice(Prefix.length);
          const cut = rest.indexOf(Delimiter);
          if (cut < 0) contents.push(key);
          else common.add(Prefix + rest.slice(0, cut + 1));
        }
        return {
          Contents: contents.map((Key) => ({ Key, Size: 1 })),
          CommonPrefixes: [...common].map((p) => ({ Prefix: p })),
          IsTruncated: false,
        };
      },
    );
  s3Mock
    .on(DeleteObjectsCommand)
    .callsFake(
      ({ Bucket, Delete }: { Bucket: string; Delete: { Objects: Array<{ Key: string }> } }) => {
        for (const { Key } of Delete.Objects) {
          objects.delete(`${Bucket}/${Key}`);
          metadata.delete(`${Bucket}/${Key}`);
        }
        return {};
      },
    );

  sfnMock
    .on(StartExecutionCommand)
    .callsFake(({ name, input }: { name: string; input: string }) => {
      const existing = executions.get(name);
      if (existing && existing.input !== input)
        throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      executions.set(name, existing ?? { name, input, status: 'RUNNING' });
      return {
        executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`,
        startDate: new Date(),
      };
    });
  sfnMock.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    const execution = executions.get(executionArn.split(':').pop()!);
    if (!execution)
      throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    return {
      executionArn,
      status: execution.status,
      startDate: new Date(),
      ...(execution.status !== 'RUNNING' ? { stopDate: new Date('2026-03-01T00:00:00Z') } : {}),
    };
  });

  return {
    deps: {
      s3,
      sfn,
      dataBucket: BUCKETS.data,
      exportBucket: BUCKETS.exports,
      stateMachineArn: STATE_MACHINE_ARN,
    },
    s3Mock,
    sfnMock,
    objects,
    metadata,
    executions,
    text: (bucket, key) => objects.get(`${bucket}/${key}`)?.toString('utf8'),
    put: (bucket, key, body) => {
      objects.set(`${bucket}/${key}`, Buffer.from(body));
      metadata.delete(`${bucket}/${key}`);
    },
    keys,
  };
}
