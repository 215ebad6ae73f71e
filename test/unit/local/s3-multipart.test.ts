import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS } from '../../../local/endpoints';
import { startS3Server, type LocalS3 } from '../../../local/s3-server';
import { putStream } from '../../../shared/aws/s3';

const MiB = 1024 * 1024;
const BUCKET = LOCAL_BUCKETS.exports;

let server: LocalS3;
let s3: S3Client;
let directory: string;

/** Bytes that differ at every offset, so a part copied from the wrong place cannot match. */
function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
/** S3's multipart ETag, computed here from the parts' bytes. */
const multipartEtag = (parts: Buffer[]) =>
  `"${createHash('md5')
    .update(Buffer.concat(parts.map((part) => createHash('md5').update(part).digest())))
    .digest('hex')}-${parts.length}"`;

async function put(key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function bytesOf(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

async function createUpload(key: string): Promise<string> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  return created.UploadId!;
}

function copyPart(
  key: string,
  uploadId: string,
  partNumber: number,
  source: string,
  range?: string,
) {
  return s3.send(
    new UploadPartCopyCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      CopySource: `${BUCKET}/${encodeURIComponent(source)}`,
      ...(range ? { CopySourceRange: range } : {}),
    }),
  );
}

function complete(key: string, uploadId: string, parts: CompletedPart[]) {
  return s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
}

/** The S3 error a request fails with: its code and HTTP status. */
async function failure(request: Promise<unknown>): Promise<{ name: string; status?: number }> {
  const error = (await request.then(
    () => {
      throw new Error('the request succeeded');
    },
    (e: unknown) => e,
  )) as { name: string; $metadata?: { httpStatusCode?: number } };
  return { name: error.name, status: error.$metadata?.httpStatusCode };
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'local-s3-'));
  server = await startS3Server(directory);
  s3 = new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  s3.destroy();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('local S3: UploadPartCopy', () => {
  const large = pattern(11 * MiB + 17, 1);
  const small = pattern(1000, 2);
  const uploaded = pattern(5 * MiB, 3);

  beforeAll(async () => {
    await put('segments/large.bin', large);
    await put('segments/with space é.bin', small);
  });

  it('joins copied ranges, a whole copied object and an uploaded part into one object, with S3 ETags', async () => {
    const key = 'archives/joined.zip';
    const uploadId = await createUpload(key);
    const first = large.subarray(0, 6 * MiB);
    const copiedFirst = await copyPart(
      key,
      uploadId,
      1,
      'segments/large.bin',
      `bytes=0-${6 * MiB - 1}`,
    );
    expect(copiedFirst.CopyPartResult?.ETag).toBe(`"${md5(first)}"`);
    expect(copiedFirst.CopyPartResult?.LastModified).toBeInstanceOf(Date);
    const sent = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        PartNumber: 2,
        Body: uploaded,
      }),
    );
    const rest = large.subarray(6 * MiB);
    const copiedRest = await copyPart(
      key,
      uploadId,
      3,
      'segments/large.bin',
      `bytes=${6 * MiB}-${large.length - 1}`,
    );
    const copiedWhole = await copyPart(key, uploadId, 4, 'segments/with space é.bin');
    expect(copiedWhole.CopyPartResult?.ETag).toBe(`"${md5(small)}"`);

    const done = await complete(key, uploadId, [
      { PartNumber: 1, ETag: copiedFirst.CopyPartResult!.ETag },
      { PartNumber: 2, ETag: sent.ETag },
      { PartNumber: 3, ETag: copiedRest.CopyPartResult!.ETag },
      { PartNumber: 4, ETag: copiedWhole.CopyPartResult!.ETag },
    ]);
    const parts = [first, uploaded, rest, small];
    expect(done.ETag).toBe(multipartEtag(parts));
    expect((await bytesOf(key)).equals(Buffer.concat(parts))).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ETag).toBe(multipartEtag(parts));
    expect(head.ContentLength).toBe(Buffer.concat(parts).length);
  });

  it('joins only the parts the list names: a part uploaded and left out is not in the object', async () => {
    const key = 'archives/some-parts.zip';
    const uploadId = await createUpload(key);
    const one = await copyPart(key, uploadId, 1, 'segments/large.bin', `bytes=0-${5 * MiB - 1}`);
    await copyPart(key, uploadId, 2, 'segments/large.bin', 'bytes=10-20');
    const three = await copyPart(key, uploadId, 3, 'segments/large.bin', 'bytes=100-199');
    await complete(key, uploadId, [
      { PartNumber: 1, ETag: one.CopyPartResult!.ETag },
      { PartNumber: 3, ETag: three.CopyPartResult!.ETag },
    ]);
    expect(
      (await bytesOf(key)).equals(
        Buffer.concat([large.subarray(0, 5 * MiB), large.subarray(100, 200)]),
      ),
    ).toBe(true);
  });

  it('answers a missing source with NoSuchKey and a range outside it or malformed with InvalidArgument', async () => {
    const key = 'archives/errors.zip';
    const uploadId = await createUpload(key);
    expect(await failure(copyPart(key, uploadId, 1, 'segments/none.bin'))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    expect(
      await failure(copyPart(key, uploadId, 1, 'segments/large.bin', `bytes=0-${large.length}`)),
    ).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await failure(copyPart(key, uploadId, 1, 'segments/large.bin', 'bytes=20-10'))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await failure(copyPart(key, uploadId, 1, 'segments/large.bin', 'bytes=0-'))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await failure(copyPart(key, uploadId, 10_001, 'segments/large.bin'))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
  });

  it('refuses a copy whose source changed since its ETag was read (x-amz-copy-source-if-match)', async () => {
    const key = 'archives/conditional.zip';
    const uploadId = await createUpload(key);
    const request = (etag: string) =>
      s3.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          PartNumber: 1,
          CopySource: `${BUCKET}/segments/large.bin`,
          CopySourceIfMatch: etag,
        }),
      );
    expect(await failure(request('"0123456789abcdef0123456789abcdef"'))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect((await request(`"${md5(large)}"`)).CopyPartResult?.ETag).toBe(`"${md5(large)}"`);
  });
});

describe('local S3: multipart uploads as S3 checks them', () => {
  it('answers an unknown, completed or aborted upload with NoSuchUpload', async () => {
    const key = 'archives/gone.zip';
    const part = (uploadId: string) =>
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          PartNumber: 1,
          Body: 'x',
        }),
      );
    const noSuchUpload = { name: 'NoSuchUpload', status: 404 };
    expect(await failure(part('0123abcd'))).toEqual(noSuchUpload);
    expect(await failure(copyPart(key, '0123abcd', 1, 'segments/large.bin'))).toEqual(noSuchUpload);
    expect(await failure(complete(key, '0123abcd', [{ PartNumber: 1, ETag: '"x"' }]))).toEqual(
      noSuchUpload,
    );

    const aborted = await createUpload(key);
    await part(aborted);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: aborted }));
    expect(await failure(part(aborted))).toEqual(noSuchUpload);
    expect(
      await failure(
        s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: aborted })),
      ),
    ).toEqual(noSuchUpload);
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toThrow();

    const completed = await createUpload(key);
    const sent = await part(completed);
    await complete(key, completed, [{ PartNumber: 1, ETag: sent.ETag }]);
    expect(await failure(part(completed))).toEqual(noSuchUpload);
    // An upload id belongs to its key.
    const other = await createUpload('archives/other.zip');
    expect(await failure(part(other))).toEqual(noSuchUpload);
  });

  it('refuses a part but the last under 5 MiB (EntityTooSmall), and keeps the upload to abort', async () => {
    const key = 'archives/too-small.zip';
    const uploadId = await createUpload(key);
    const send = (partNumber: number, body: Buffer) =>
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
        }),
      );
    const one = await send(1, pattern(5 * MiB - 1, 4));
    const two = await send(2, pattern(10, 5));
    expect(
      await failure(
        complete(key, uploadId, [
          { PartNumber: 1, ETag: one.ETag },
          { PartNumber: 2, ETag: two.ETag },
        ]),
      ),
    ).toEqual({ name: 'EntityTooSmall', status: 400 });
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toThrow();
    // The same part alone is the last part, which may be of any size.
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }),
    );
    const again = await createUpload(key);
    const only = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: again,
        PartNumber: 1,
        Body: pattern(10, 5),
      }),
    );
    await complete(key, again, [{ PartNumber: 1, ETag: only.ETag }]);
    expect((await bytesOf(key)).equals(pattern(10, 5))).toBe(true);
  });

  it('refuses parts listed out of order (InvalidPartOrder) or with an ETag that is not theirs (InvalidPart)', async () => {
    const key = 'archives/listed-wrong.zip';
    const uploadId = await createUpload(key);
    const send = (partNumber: number) =>
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: pattern(5 * MiB, partNumber),
        }),
      );
    const one = await send(1);
    const two = await send(2);
    expect(
      await failure(
        complete(key, uploadId, [
          { PartNumber: 2, ETag: two.ETag },
          { PartNumber: 1, ETag: one.ETag },
        ]),
      ),
    ).toEqual({ name: 'InvalidPartOrder', status: 400 });
    expect(
      await failure(
        complete(key, uploadId, [
          { PartNumber: 1, ETag: two.ETag },
          { PartNumber: 2, ETag: two.ETag },
        ]),
      ),
    ).toEqual({ name: 'InvalidPart', status: 400 });
    expect(
      await failure(
        complete(key, uploadId, [
          { PartNumber: 1, ETag: one.ETag },
          { PartNumber: 3, ETag: two.ETag },
        ]),
      ),
    ).toEqual({ name: 'InvalidPart', status: 400 });
  });

  it('honours If-None-Match: * on CompleteMultipartUpload', async () => {
    const key = 'archives/claimed.zip';
    await put(key, Buffer.from('first'));
    const uploadId = await createUpload(key);
    const sent = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        PartNumber: 1,
        Body: 'second',
      }),
    );
    const claim = s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: sent.ETag }] },
        IfNoneMatch: '*',
      }),
    );
    expect(await failure(claim)).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect((await bytesOf(key)).toString()).toBe('first');
  });

  it("streams the product's multipart uploads (lib-storage, 5 MiB parts) into one object", async () => {
    const body = pattern(12 * MiB + 5, 9);
    await putStream(s3, BUCKET, 'archives/streamed.zip', Readable.from([body]), 'application/zip', {
      partSize: 5 * MiB,
      queueSize: 2,
    });
    expect((await bytesOf('archives/streamed.zip')).equals(body)).toBe(true);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'archives/streamed.zip' }),
    );
    expect(head.ETag).toBe(
      multipartEtag([
        body.subarray(0, 5 * MiB),
        body.subarray(5 * MiB, 10 * MiB),
        body.subarray(10 * MiB),
      ]),
    );
    expect(head.ContentType).toBe('application/zip');
  });
});
