import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
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
import type { SampleProject } from '../../../local/sample';
import type { ApiDeps } from '../../../shared/api/router';
import { StoreWriter } from '../../../shared/store/writer';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export interface FakeExecution {
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
}

/** A multipart upload under way: its object and the parts made so far, by part number. */
export interface FakeUpload {
  bucket: string;
  key: string;
  parts: Map<number, Buffer>;
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
  /** Multipart uploads begun and neither completed nor aborted, by upload id. */
  uploads: Map<string, FakeUpload>;
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

/** An error as an AWS service answers it: its name, HTTP status and message. */
export function awsError(name: string, status: number, message: string = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

/**
 * Writes a project to the data bucket: the project, its datasets and its tasks. Returns how many
 * objects that put, for tests that count the writes that follow.
 */
export async function storeProject(aws: FakeAws, sample: SampleProject): Promise<number> {
  const before = aws.s3Mock.commandCalls(PutObjectCommand).length;
  const writer = new StoreWriter(aws.deps.s3, BUCKETS.data, sample.project.id);
  await writer.project(sample.project);
  for (const { dataset } of sample.datasets) await writer.dataset(dataset);
  for (const { task } of sample.tasks) await writer.task(task);
  return aws.s3Mock.commandCalls(PutObjectCommand).length - before;
}

const etagOf = (body: Buffer) => JSON.stringify(createHash('md5').update(body).digest('hex'));

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export interface FakeAwsOptions {
  /** Most keys (and common prefixes) a ListObjectsV2 page holds; S3's own limit by default. */
  listPageSize?: number;
}

/** The objects of the fake S3, by `{bucket}/{key}`. */
interface FakeStore {
  objects: Map<string, Buffer>;
  metadata: Map<string, Record<string, string>>;
  keys(bucket: string, prefix?: string): string[];
}

interface GetInput {
  Bucket: string;
  Key: string;
  Range?: string;
}

/** `bytes=a-b` (both ends included) as subarray bounds; 416 beyond the object, as S3 answers. */
function byteRange(header: string, length: number): [number, number] {
  const match = /^bytes=(\d+)-(\d+)$/.exec(header);
  if (!match) throw s3Error('InvalidArgument', 400);
  const start = Number(match[1]);
  const end = Math.min(Number(match[2]), length - 1);
  if (start > end) throw s3Error('InvalidRange', 416);
  return [start, end + 1];
}

/** S3's smallest part: every part of an upload but its last must hold at least this many bytes. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Multipart uploads as S3 keeps them (each answer a promise: lib-storage chains on them): parts uploaded or copied from a range of another object
 * (UploadPartCopy), joined in part-number order on completion, which S3 refuses (EntityTooSmall)
 * when a part but the last is under 5 MiB; an aborted or completed upload is gone (NoSuchUpload).
 */
function fakeMultipart(
  s3Mock: AwsClientStub<S3Client>,
  { objects, metadata }: FakeStore,
): Map<string, FakeUpload> {
  const uploads = new Map<string, FakeUpload>();
  let next = 0;
  const open = (UploadId: string): FakeUpload => {
    const upload = uploads.get(UploadId);
    if (!upload) throw s3Error('NoSuchUpload', 404);
    return upload;
  };
  s3Mock.on(CreateMultipartUploadCommand).callsFake(async ({ Bucket, Key }: GetInput) => {
    const UploadId = `upload-${++next}`;
    uploads.set(UploadId, { bucket: Bucket, key: Key, parts: new Map() });
    return { Bucket, Key, UploadId };
  });
  s3Mock.on(UploadPartCommand).callsFake(async (input: PartInput & { Body: unknown }) => {
    const body = await bodyBytes(input.Body);
    open(input.UploadId).parts.set(input.PartNumber, body);
    return { ETag: etagOf(body) };
  });
  s3Mock.on(UploadPartCopyCommand).callsFake(async (input: PartInput & CopyInput) => {
    const upload = open(input.UploadId);
    const source = objects.get(decodeURIComponent(input.CopySource));
    if (!source) throw s3Error('NoSuchKey', 404);
    const range = input.CopySourceRange ? byteRange(input.CopySourceRange, source.length) : null;
    const body = range ? Buffer.from(source.subarray(...range)) : Buffer.from(source);
    upload.parts.set(input.PartNumber, body);
    return { CopyPartResult: { ETag: etagOf(body) } };
  });
  s3Mock.on(CompleteMultipartUploadCommand).callsFake(async (input: CompleteInput) => {
    const upload = open(input.UploadId);
    const listed = input.MultipartUpload?.Parts ?? [];
    const bodies = listed.map(({ PartNumber, ETag }) => {
      const body = upload.parts.get(PartNumber);
      if (!body || etagOf(body) !== ETag) throw s3Error('InvalidPart', 400);
      return body;
    });
    listed.forEach(({ PartNumber }, i) => {
      if (i > 0 && PartNumber <= listed[i - 1]!.PartNumber) throw s3Error('InvalidPartOrder', 400);
    });
    if (bodies.slice(0, -1).some((body) => body.length < MIN_PART_BYTES))
      throw s3Error('EntityTooSmall', 400);
    uploads.delete(input.UploadId);
    objects.set(`${upload.bucket}/${upload.key}`, Buffer.concat(bodies));
    metadata.set(`${upload.bucket}/${upload.key}`, {});
    return { Bucket: upload.bucket, Key: upload.key };
  });
  s3Mock.on(AbortMultipartUploadCommand).callsFake(async ({ UploadId }: { UploadId: string }) => {
    open(UploadId);
    uploads.delete(UploadId);
    return {};
  });
  return uploads;
}

interface PartInput {
  UploadId: string;
  PartNumber: number;
}
interface CopyInput {
  CopySource: string;
  CopySourceRange?: string;
}
interface CompleteInput {
  UploadId: string;
  MultipartUpload?: { Parts?: Array<{ PartNumber: number; ETag: string }> };
}

/**
 * S3 and Step Functions behind aws-sdk-client-mock, backed by maps: the handler's calls behave as
 * the services would (missing keys, listings with delimiters and pages, conditional puts,
 * execution names), and a test can still make any one command fail.
 */
export function fakeAws(options: FakeAwsOptions = {}): FakeAws {
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
  const store: FakeStore = { objects, metadata, keys };
  fakeObjectReads(s3Mock, store);
  fakeObjectWrites(s3Mock, store);
  fakeListings(s3Mock, store, options.listPageSize ?? 1000);
  fakeExecutions(sfnMock, executions);
  const uploads = fakeMultipart(s3Mock, store);
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
    uploads,
    text: (bucket, key) => objects.get(`${bucket}/${key}`)?.toString('utf8'),
    put: (bucket, key, body) => {
      objects.set(`${bucket}/${key}`, Buffer.from(body));
      metadata.delete(`${bucket}/${key}`);
    },
    keys,
  };
}

function fakeObjectReads(s3Mock: AwsClientStub<S3Client>, { objects, metadata }: FakeStore): void {
  s3Mock.on(GetObjectCommand).callsFake(({ Bucket, Key, Range }: GetInput) => {
    const whole = objects.get(`${Bucket}/${Key}`);
    if (!whole) throw s3Error('NoSuchKey', 404);
    const body = Range ? whole.subarray(...byteRange(Range, whole.length)) : whole;
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
}

interface PutInput {
  Bucket: string;
  Key: string;
  Body: unknown;
  IfNoneMatch?: string;
  IfMatch?: string;
  Metadata?: Record<string, string>;
}

function fakeObjectWrites(s3Mock: AwsClientStub<S3Client>, { objects, metadata }: FakeStore): void {
  s3Mock.on(PutObjectCommand).callsFake(async (input: PutInput) => {
    const bytes = await bodyBytes(input.Body);
    const at = `${input.Bucket}/${input.Key}`;
    // Checked and written in one step, as S3 does a conditional put.
    const current = objects.get(at);
    if (input.IfNoneMatch === '*' && current) throw s3Error('PreconditionFailed', 412);
    if (input.IfMatch !== undefined && !current) throw s3Error('NoSuchKey', 404);
    if (input.IfMatch !== undefined && etagOf(current!) !== input.IfMatch)
      throw s3Error('PreconditionFailed', 412);
    objects.set(at, bytes);
    metadata.set(at, input.Metadata ?? {});
    return {};
  });
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
}

interface ListInput {
  Bucket: string;
  Prefix?: string;
  Delimiter?: string;
  ContinuationToken?: string;
  MaxKeys?: number;
}

/**
 * ListObjectsV2 as S3 answers it: keys and common prefixes in one sorted sequence, cut into pages
 * of at most MaxKeys (and the page size), each but the last with a continuation token.
 */
function fakeListings(
  s3Mock: AwsClientStub<S3Client>,
  { keys }: FakeStore,
  pageSize: number,
): void {
  s3Mock.on(ListObjectsV2Command).callsFake((input: ListInput) => {
    const prefix = input.Prefix ?? '';
    const entries = new Set<string>();
    for (const key of keys(input.Bucket, prefix)) {
      const cut = input.Delimiter ? key.indexOf(input.Delimiter, prefix.length) : -1;
      entries.add(cut < 0 ? key : key.slice(0, cut + input.Delimiter!.length));
    }
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const end = start + Math.min(input.MaxKeys ?? pageSize, pageSize);
    const page = [...entries].slice(start, end);
    const isPrefix = (entry: string) =>
      Boolean(input.Delimiter) && entry.endsWith(input.Delimiter!);
    return {
      Contents: page.filter((e) => !isPrefix(e)).map((Key) => ({ Key, Size: 1 })),
      CommonPrefixes: page.filter(isPrefix).map((Prefix) => ({ Prefix })),
      KeyCount: page.length,
      IsTruncated: end < entries.size,
      ...(end < entries.size ? { NextContinuationToken: String(end) } : {}),
    };
  });
}

function fakeExecutions(
  sfnMock: AwsClientStub<SFNClient>,
  executions: Map<string, FakeExecution>,
): void {
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
}
