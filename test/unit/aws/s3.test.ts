import { ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  deletePrefix,
  getObjectIfExists,
  listFolders,
  listKeys,
  presignGet,
  putText,
  readLines,
} from '../../../shared/aws/s3';
import { Readable } from 'node:stream';
import { TransientError } from '../../../shared/errors';
import { BUCKETS, fakeAws, type FakeAws } from '../api/fake-aws';

const B = BUCKETS.exports;
/** The keys under `a/`: three objects and three folders, one with two keys. */
const UNDER_A = ['a/1', 'a/2', 'a/3', 'a/4/x', 'a/5/y', 'a/5/z', 'a/6/w'];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

let aws: FakeAws;

beforeEach(() => {
  // Pages of two: every listing below spans several.
  aws = fakeAws({ listPageSize: 2 });
  for (const key of [...UNDER_A, 'b/1']) aws.put(B, key, key);
});

describe('S3 listings', () => {
  it('lists every key under a prefix across pages, in order', async () => {
    const keys = await collect(listKeys(aws.deps.s3, B, 'a/'));
    expect(keys.map((k) => k.key)).toEqual(UNDER_A);
    expect(aws.s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(4);
  });

  it('lists the folders directly under a prefix across pages', async () => {
    expect(await collect(listFolders(aws.deps.s3, B, 'a/'))).toEqual(['4', '5', '6']);
  });

  it('stops asking for pages when the caller stops reading', async () => {
    for await (const { key } of listKeys(aws.deps.s3, B, 'a/')) if (key === 'a/1') break;
    expect(aws.s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it('classifies a page that fails with a server error as transient, naming the prefix', async () => {
    aws.s3Mock.on(ListObjectsV2Command, { ContinuationToken: '2' }).rejects(
      new S3ServiceException({
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'We encountered an internal error',
      }),
    );
    const error = await collect(listKeys(aws.deps.s3, B, 'a/')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('listing a/');
  });

  it('deletes every key under a prefix across pages but those kept', async () => {
    await deletePrefix(aws.deps.s3, B, 'a/', (key) => key === 'a/3');
    expect(aws.keys(B)).toEqual(['a/3', 'b/1']);
  });
});

describe('S3 objects', () => {
  it('reads an object with its metadata, or nothing when it does not exist', async () => {
    await putText(aws.deps.s3, B, 'm', '{"a":1}', 'application/json', { marker: 'seen' });
    const object = await getObjectIfExists(aws.deps.s3, B, 'm');
    expect(object?.bytes.toString('utf8')).toBe('{"a":1}');
    expect(object?.metadata).toEqual({ marker: 'seen' });
    expect(object?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await getObjectIfExists(aws.deps.s3, B, 'missing')).toBeUndefined();
  });

  it('presigns a GET that expires and names the download', async () => {
    const url = new URL(
      await presignGet(aws.deps.s3, B, 'exports/p/e/a b.zip', {
        expiresIn: 900,
        contentDisposition: 'attachment; filename="a b.zip"',
      }),
    );
    expect(url.pathname).toContain('/exports/p/e/a%20b.zip');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="a b.zip"',
    );
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('readLines', () => {
  const linesOf = async (chunks: Buffer[]) => collect(readLines(Readable.from(chunks)));

  it('numbers the lines, reads CRLF as LF, drops a leading BOM and keeps a last line without a newline', async () => {
    const text = Buffer.from('\uFEFF{"a":1}\r\n\n{"b":"é"}\nlast', 'utf8');
    expect(await linesOf([text])).toEqual([
      { line: '{"a":1}', number: 1 },
      { line: '', number: 2 },
      { line: '{"b":"é"}', number: 3 },
      { line: 'last', number: 4 },
    ]);
  });

  it('decodes characters and a BOM split across chunks, one byte at a time', async () => {
    const text = Buffer.from('\uFEFFnaïve 🐈\r\nzweite Zeile ü\n', 'utf8');
    const bytes = Array.from(text, (byte) => Buffer.from([byte]));
    expect(await linesOf(bytes)).toEqual([
      { line: 'naïve 🐈', number: 1 },
      { line: 'zweite Zeile ü', number: 2 },
    ]);
  });

  it('keeps a BOM that is not the first character, and reads bad UTF-8 as U+FFFD', async () => {
    const text = Buffer.concat([Buffer.from('a\uFEFF\n', 'utf8'), Buffer.from([0x62, 0xff, 0x0a])]);
    expect(await linesOf([text])).toEqual([
      { line: 'a\uFEFF', number: 1 },
      { line: 'b\uFFFD', number: 2 },
    ]);
  });
});
