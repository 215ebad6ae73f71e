import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { XMLParser } from 'fast-xml-parser';
import type { S3rverContext, S3rverStore } from 's3rver';
import type { KeyQueues } from './s3-requests';
import {
  headerValue,
  NO_SUCH_KEY,
  objectOf,
  PRECONDITION_FAILED,
  queryValue,
  respondWithFailure,
  S3Failure,
  type ObjectTarget,
} from './s3-requests';

/** S3's smallest part, for every part of a completed upload but its last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** The largest part UploadPartCopy copies (S3's limit on a copy source or range). */
export const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
/** A CompleteMultipartUpload body of 10,000 parts with checksums stays well under this. */
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

const NO_SUCH_UPLOAD =
  'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';

/** One part as it is stored: s3rver keeps part N of an upload in `{upload}/N` and its MD5 in `N.md5`. */
interface StoredPart {
  number: number;
  path: string;
  md5: string;
  size: number;
}

/** The directory s3rver keeps an upload's parts, key and metadata in; NoSuchUpload when it has none. */
async function uploadDirectory(
  store: S3rverStore,
  { bucket, key }: ObjectTarget,
  uploadId: string,
): Promise<string> {
  if (!(await store.getBucket(bucket)))
    throw new S3Failure('NoSuchBucket', 'The specified bucket does not exist', {
      BucketName: bucket,
    });
  const directory = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  const uploadKey = /^[\w-]+$/.test(uploadId)
    ? await readFile(join(directory, 'key'), 'utf8').catch(() => undefined)
    : undefined;
  if (uploadKey !== key)
    throw new S3Failure('NoSuchUpload', NO_SUCH_UPLOAD, { UploadId: uploadId });
  return directory;
}

function partNumberOf(ctx: S3rverContext): number {
  const text = queryValue(ctx, 'partNumber') ?? '';
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < 1 || number > MAX_PART_NUMBER)
    throw new S3Failure(
      'InvalidArgument',
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
      { ArgumentName: 'partNumber', ArgumentValue: text },
    );
  return number;
}

/**
 * Streams `source` into part `number` of the upload in `directory`, stored as s3rver stores an
 * uploaded part (so that completing the upload joins it with the others), written beside and
 * renamed into place so that the part is never seen half-written.
 */
async function writePart(directory: string, number: number, source: Readable): Promise<StoredPart> {
  const path = join(directory, String(number));
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  const md5 = createHash('md5');
  let size = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, counting, createWriteStream(temporary));
    const digest = md5.digest('hex');
    await writeFile(`${temporary}.md5`, digest);
    await rename(temporary, path);
    await rename(`${temporary}.md5`, `${path}.md5`);
    return { number, path, md5: digest, size };
  } finally {
    await rm(temporary, { force: true });
    await rm(`${temporary}.md5`, { force: true });
  }
}

/** The object `x-amz-copy-source` names: `[/]bucket/key[?versionId=id]`, the key URL-encoded. */
function copySourceOf(header: string): ObjectTarget & { versionId?: string } {
  const [path = '', query = ''] = header.split('?', 2);
  const decoded = decodeURIComponent(path).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash < 1 || slash === decoded.length - 1)
    throw new S3Failure(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      {
        ArgumentName: 'x-amz-copy-source',
        ArgumentValue: header,
      },
    );
  const bucket = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  return { bucket, key, id: `${bucket}/${key}`, versionId };
}

/** The source's file and size; S3's 404s when the bucket, key or version does not exist. */
async function copySourceFile(
  store: S3rverStore,
  source: ObjectTarget & { versionId?: string },
): Promise<{ path: string; size: number }> {
  if (!(await store.getBucket(source.bucket)))
    throw new S3Failure('NoSuchBucket', 'The specified bucket does not exist', {
      BucketName: source.bucket,
    });
  const path = store.getResourcePath(source.bucket, source.key, 'object');
  const size = await stat(path).then(
    (stats) => stats.size,
    () => undefined,
  );
  if (size === undefined) throw new S3Failure('NoSuchKey', NO_SUCH_KEY, { Key: source.key });
  // s3rver keeps no versions: the only version of an object is the "null" one.
  if (source.versionId !== undefined && source.versionId !== 'null')
    throw new S3Failure('NoSuchVersion', 'The specified version does not exist.', {
      Key: source.key,
      VersionId: source.versionId,
    });
  return { path, size };
}

/** The bytes `x-amz-copy-source-range` selects, inclusive, or the whole source without one. */
function copyRange(header: string | undefined, size: number): { start: number; end: number } {
  if (header === undefined) return { start: 0, end: size - 1 };
  const match = /^bytes=(\d+)-(\d+)$/.exec(header);
  if (!match)
    throw new S3Failure(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header },
    );
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > end || end >= size)
    throw new S3Failure(
      'InvalidArgument',
      `Range specified is not valid for source object of size: ${size}`,
      { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header },
    );
  return { start, end };
}

/** `x-amz-copy-source-if-match` and `-if-none-match` against the source's ETag. */
async function checkCopyConditions(ctx: S3rverContext, source: ObjectTarget): Promise<void> {
  const ifMatch = headerValue(ctx, 'x-amz-copy-source-if-match');
  const ifNoneMatch = headerValue(ctx, 'x-amz-copy-source-if-none-match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return;
  const etag = (await ctx.store.getMetadata(source.bucket, source.key)).etag.replace(/"/g, '');
  const unquoted = (value: string) => value.replace(/"/g, '');
  if (
    (ifMatch !== undefined && unquoted(ifMatch) !== etag) ||
    (ifNoneMatch !== undefined && unquoted(ifNoneMatch) === etag)
  )
    throw new S3Failure('PreconditionFailed', PRECONDITION_FAILED, {
      Condition:
        ifMatch !== undefined ? 'x-amz-copy-source-If-Match' : 'x-amz-copy-source-If-None-Match',
    });
}

/**
 * UploadPartCopy: part N of the upload becomes a byte range of another object (the whole of it
 * without `x-amz-copy-source-range`), streamed from file to file.
 */
async function uploadPartCopy(
  ctx: S3rverContext,
  directory: string,
  number: number,
  queues: KeyQueues,
): Promise<void> {
  const source = copySourceOf(headerValue(ctx, 'x-amz-copy-source')!);
  await queues.settled(source.id);
  const file = await copySourceFile(ctx.store, source);
  await checkCopyConditions(ctx, source);
  const { start, end } = copyRange(headerValue(ctx, 'x-amz-copy-source-range'), file.size);
  if (end - start + 1 > MAX_COPY_BYTES)
    throw new S3Failure(
      'InvalidRequest',
      `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`,
    );
  // An empty source (S3 copies it whole) has no byte range to read.
  const bytes = file.size === 0 ? Readable.from([]) : createReadStream(file.path, { start, end });
  const part = await writePart(directory, number, bytes);
  ctx.status = 200;
  ctx.body = {
    CopyPartResult: { LastModified: new Date().toISOString(), ETag: JSON.stringify(part.md5) },
  };
}

/** The parts a CompleteMultipartUpload body lists, in its order. */
async function listedParts(ctx: S3rverContext): Promise<Array<{ number: number; etag: string }>> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of ctx.req) {
    length += (chunk as Buffer).length;
    if (length > MAX_COMPLETE_BODY_BYTES)
      throw new S3Failure('MalformedXML', 'The XML you provided was too large.');
    chunks.push(chunk as Buffer);
  }
  const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'Part' });
  let document: {
    CompleteMultipartUpload?: { Part?: Array<{ PartNumber?: string; ETag?: string }> };
  };
  try {
    document = parser.parse(Buffer.concat(chunks).toString('utf8')) as typeof document;
  } catch {
    document = {};
  }
  const parts = document.CompleteMultipartUpload?.Part ?? [];
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p.PartNumber ?? '') || !p.ETag))
    throw new S3Failure(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  return parts.map((p) => ({ number: Number(p.PartNumber), etag: p.ETag!.replace(/"/g, '') }));
}

/** The stored parts the list names, checked as S3 checks them before it joins anything. */
async function partsToJoin(
  directory: string,
  listed: Array<{ number: number; etag: string }>,
): Promise<StoredPart[]> {
  for (let i = 1; i < listed.length; i++)
    if (listed[i]!.number <= listed[i - 1]!.number)
      throw new S3Failure(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
  const parts = await Promise.all(
    listed.map(async ({ number, etag }) => {
      const path = join(directory, String(number));
      const md5 = await readFile(`${path}.md5`, 'utf8').catch(() => undefined);
      const size = await stat(path).then(
        (s) => s.size,
        () => undefined,
      );
      if (md5 === undefined || size === undefined || md5 !== etag)
        throw new S3Failure(
          'InvalidPart',
          "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          { PartNumber: number, ETag: etag },
        );
      return { number, path, md5, size };
    }),
  );
  const small = parts.slice(0, -1).find((part) => part.size < MIN_PART_BYTES);
  if (small)
    throw new S3Failure(
      'EntityTooSmall',
      'Your proposed upload is smaller than the minimum allowed size',
      {
        ProposedSize: small.size,
        MinSizeAllowed: MIN_PART_BYTES,
        PartNumber: small.number,
        ETag: small.md5,
      },
    );
  return parts;
}

/** S3's ETag of a multipart object: the MD5 of its parts' binary MD5s, then `-` and their count. */
export function multipartEtag(partMd5s: string[]): string {
  const digests = Buffer.concat(partMd5s.map((md5) => Buffer.from(md5, 'hex')));
  return `${createHash('md5').update(digests).digest('hex')}-${partMd5s.length}`;
}

/** Joins the parts, streaming one after the other, into the object's file (renamed into place). */
async function joinParts(
  objectPath: string,
  directory: string,
  parts: StoredPart[],
): Promise<void> {
  const temporary = join(directory, `joined.${randomBytes(6).toString('hex')}`);
  const out = createWriteStream(temporary);
  try {
    for (const part of parts) {
      for await (const chunk of createReadStream(part.path)) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
    }
    out.end();
    await finished(out);
    await mkdir(dirname(objectPath), { recursive: true });
    await rename(temporary, objectPath);
  } finally {
    out.destroy();
    await rm(temporary, { force: true });
  }
}

/**
 * CompleteMultipartUpload as S3 does it: the listed parts must exist with the ETags given, in
 * ascending order, and all but the last be at least 5 MiB; the object's ETag is S3's
 * `md5-of-md5s-N`. The parts are streamed into the object, never held in memory. Runs inside the
 * key's write queue (objectConsistency), so no read sees the object before it is whole.
 */
async function completeUpload(
  ctx: S3rverContext,
  target: ObjectTarget,
  directory: string,
): Promise<void> {
  const parts = await partsToJoin(directory, await listedParts(ctx));
  const etag = multipartEtag(parts.map((part) => part.md5));
  const size = parts.reduce((sum, part) => sum + part.size, 0);
  const metadata = JSON.parse(await readFile(join(directory, 'metadata'), 'utf8')) as Record<
    string,
    string
  >;
  await joinParts(ctx.store.getResourcePath(target.bucket, target.key, 'object'), directory, parts);
  await ctx.store.putMetadata(
    target.bucket,
    target.key,
    { 'content-type': 'binary/octet-stream', ...metadata },
    etag,
  );
  await rm(directory, { recursive: true, force: true });
  ctx.app.emit('event', createdEvent(target, size, etag));
  ctx.status = 200;
  ctx.body = {
    CompleteMultipartUploadResult: {
      Location: `${ctx.origin}/${target.bucket}/${target.key}`,
      Bucket: target.bucket,
      Key: target.key,
      ETag: JSON.stringify(etag),
    },
  };
}

/** The notification S3 sends for an object a multipart upload created. */
function createdEvent({ bucket, key }: ObjectTarget, size: number, etag: string) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        s3: { bucket: { name: bucket }, object: { key, size, eTag: etag } },
      },
    ],
  };
}

/**
 * What S3's multipart uploads do and s3rver's do not, in front of it: UploadPartCopy (with or
 * without a range), AbortMultipartUpload, S3's NoSuchUpload for an unknown upload id, and a
 * CompleteMultipartUpload that checks the parts as S3 does (order, ETags, 5 MiB) and gives S3's
 * ETag. UploadPart itself stays s3rver's, after the checks.
 */
export function multipartUploads(queues: KeyQueues) {
  return async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const target = objectOf(ctx);
    const uploadId = queryValue(ctx, 'uploadId');
    if (!target || uploadId === undefined || !['PUT', 'POST', 'DELETE'].includes(ctx.method))
      return next();
    try {
      const number = ctx.method === 'PUT' ? partNumberOf(ctx) : 0;
      const directory = await uploadDirectory(ctx.store, target, uploadId);
      if (ctx.method === 'POST') return await completeUpload(ctx, target, directory);
      if (ctx.method === 'DELETE') {
        await rm(directory, { recursive: true, force: true });
        ctx.status = 204;
        return;
      }
      if (headerValue(ctx, 'x-amz-copy-source') === undefined) return await next();
      await uploadPartCopy(ctx, directory, number, queues);
    } catch (error) {
      if (!(error instanceof S3Failure)) throw error;
      respondWithFailure(ctx, error);
    }
  };
}
