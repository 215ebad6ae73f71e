import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { NotFoundError, TransientError, classifyAwsError } from '../errors';
import { clientConfig } from './clients';

/**
 * The S3 client every function uses. Checksums only when required: the local S3 server (and some
 * S3-compatible stores) would otherwise store streamed uploads with their aws-chunked framing.
 * AWS_ENDPOINT_URL (LocalStack, the local stack) implies path-style addressing.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const config = clientConfig('S3', env);
  return new S3Client({
    ...config,
    ...(config.endpoint ? { forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The middleware stack resolved once per command class, not per request (~0.15 ms of each of
    // the million GetObjects of a large export); nothing here changes a stack after its first use.
    cacheMiddleware: true,
  });
}

/** S3's answer for a key (or, on HEAD, an object) that does not exist. */
export function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** A byte range of an object, both ends included, as HTTP's Range header counts. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * An object's body, or a range of it, as a stream; NotFoundError names the key when it does not
 * exist.
 */
export async function getStream(
  s3: S3Client,
  bucket: string,
  key: string,
  range?: ByteRange,
): Promise<Readable> {
  try {
    const response = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    return response.Body as Readable;
  } catch (error) {
    if (isMissing(error)) throw new NotFoundError(`${key} does not exist`, { cause: error });
    throw classifyAwsError(error, `reading ${key}`);
  }
}

/** A small object's bytes (staged parts, records); large objects are streamed with getStream. */
export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  // The SDK retries a failed request but not a body cut off mid-read (a connection reset or
  // "aborted"): a small object is simply read again.
  for (let attempt = 1; ; attempt++) {
    const stream = await getStream(s3, bucket, key);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (error) {
      if (attempt >= 3)
        throw new TransientError(`reading ${key}: the connection was lost`, { cause: error });
    }
  }
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  return (await getBytes(s3, bucket, key)).toString('utf8');
}

/** The text of an object, or undefined when it does not exist. */
export async function getTextIfExists(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  try {
    return await getText(s3, bucket, key);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

export async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw classifyAwsError(error, `checking ${key}`);
  }
}

export async function putText(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType = 'application/json',
  /** User metadata (`x-amz-meta-*`) stored with the object. */
  metadata?: Record<string, string>,
): Promise<void> {
  try {
    await putObject(s3, bucket, key, body, contentType, metadata ? { Metadata: metadata } : {});
  } catch (error) {
    throw classifyAwsError(error, `writing ${key}`);
  }
}

function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType: string,
  extra: { IfNoneMatch?: '*'; IfMatch?: string; Metadata?: Record<string, string> } = {},
) {
  // An explicit length: the SDK sets none for an empty body and then warns of an unknown-length stream.
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  return s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ContentLength: length,
      ...extra,
    }),
  );
}

/** A put whose precondition did not hold: 412, or 409 while a concurrent conditional write of the key is under way. */
function isConditionLost(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return (
    status === 412 ||
    status === 409 ||
    e?.name === 'PreconditionFailed' ||
    e?.name === 'ConditionalRequestConflict'
  );
}

async function putConditionally(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  condition: { IfNoneMatch: '*' } | { IfMatch: string },
  contentType: string,
): Promise<boolean> {
  try {
    await putObject(s3, bucket, key, body, contentType, condition);
    return true;
  } catch (error) {
    if (isConditionLost(error) || ('IfMatch' in condition && isMissing(error))) return false;
    throw classifyAwsError(error, `writing ${key}`);
  }
}

/**
 * Creates an object only if its key is free (`If-None-Match: *`), atomically: of concurrent
 * puts of one key exactly one returns true. False when the key exists (412) or another
 * conditional write of it is under way (409, which S3 asks to retry: the caller reads the key).
 */
export function putIfAbsent(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  contentType = 'application/json',
): Promise<boolean> {
  return putConditionally(s3, bucket, key, body, { IfNoneMatch: '*' }, contentType);
}

/**
 * Replaces an object only if it is still the version that was read (`If-Match: etag`),
 * atomically; false when it has changed or is gone.
 */
export function putIfUnchanged(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  etag: string,
  contentType = 'application/json',
): Promise<boolean> {
  return putConditionally(s3, bucket, key, body, { IfMatch: etag }, contentType);
}

/** A small object's bytes, ETag and user metadata, or undefined when it does not exist. */
export async function getObjectIfExists(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ bytes: Buffer; etag: string; metadata: Record<string, string> } | undefined> {
  let response;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw classifyAwsError(error, `reading ${key}`);
  }
  let bytes;
  try {
    bytes = await response.Body!.transformToByteArray();
  } catch (error) {
    throw new TransientError(`reading ${key}: the connection was lost`, { cause: error });
  }
  return {
    bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    etag: response.ETag ?? '',
    metadata: response.Metadata ?? {},
  };
}

/** A small object's text with its ETag (for putIfUnchanged), or undefined when it does not exist. */
export async function getVersionedText(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ text: string; etag: string } | undefined> {
  const object = await getObjectIfExists(s3, bucket, key);
  return object && { text: object.bytes.toString('utf8'), etag: object.etag };
}

/**
 * A URL that GETs an object without credentials for `expiresIn` seconds; `contentDisposition` is
 * the response's Content-Disposition (the name a browser saves it under).
 */
export async function presignGet(
  s3: S3Client,
  bucket: string,
  key: string,
  options: { expiresIn: number; contentDisposition?: string },
): Promise<string> {
  const command = new GetObjectCommand({
    Bucket: bucket,
    Key: key,
    ...(options.contentDisposition
      ? { ResponseContentDisposition: options.contentDisposition }
      : {}),
  });
  try {
    return await getSignedUrl(s3, command, { expiresIn: options.expiresIn });
  } catch (error) {
    throw classifyAwsError(error, `signing a download of ${key}`);
  }
}

/** Streams a body of unknown length into a multipart upload. */
export async function putStream(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Readable,
  contentType = 'application/octet-stream',
  /** Parts buffered at once: at most (queueSize + 1) x partSize bytes of the body in memory. */
  buffering: { partSize?: number; queueSize?: number } = {},
): Promise<void> {
  try {
    await new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
      queueSize: buffering.queueSize ?? 4,
      partSize: buffering.partSize ?? 8 * 1024 * 1024,
    }).done();
  } catch (error) {
    throw classifyAwsError(error, `uploading ${key}`);
  }
}

/** The pages of a listing, through the SDK's paginator; a failed page is classified. */
async function* listPages(
  s3: S3Client,
  input: ListObjectsV2CommandInput & { Prefix: string },
): AsyncIterable<ListObjectsV2CommandOutput> {
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, input)) yield page;
  } catch (error) {
    throw classifyAwsError(error, `listing ${input.Prefix}`);
  }
}

/** Every key under a prefix, page by page, in S3's (lexicographic) order. */
export async function* listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncIterable<{ key: string; size: number }> {
  for await (const page of listPages(s3, { Bucket: bucket, Prefix: prefix }))
    for (const object of page.Contents ?? []) yield { key: object.Key!, size: object.Size ?? 0 };
}

/** The folder names directly under a prefix (`prefix/{name}/...`), page by page. */
export async function* listFolders(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncIterable<string> {
  for await (const page of listPages(s3, { Bucket: bucket, Prefix: prefix, Delimiter: '/' }))
    for (const { Prefix } of page.CommonPrefixes ?? [])
      if (Prefix) yield Prefix.slice(prefix.length, -1);
}

/** Deletes every object under a prefix but those `keep` holds on to. */
export async function deletePrefix(
  s3: S3Client,
  bucket: string,
  prefix: string,
  keep: (key: string) => boolean = () => false,
): Promise<void> {
  let batch: string[] = [];
  for await (const { key } of listKeys(s3, bucket, prefix)) {
    if (keep(key)) continue;
    batch.push(key);
    // DeleteObjects takes at most 1,000 keys.
    if (batch.length === 1000) {
      await deleteKeys(s3, bucket, batch);
      batch = [];
    }
  }
  await deleteKeys(s3, bucket, batch);
}

export async function deleteKey(s3: S3Client, bucket: string, key: string): Promise<void> {
  await deleteKeys(s3, bucket, [key]);
}

export async function deleteKeys(s3: S3Client, bucket: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  try {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
  } catch (error) {
    throw classifyAwsError(error, `deleting ${keys[0]}`);
  }
}

/**
 * Lines of a UTF-8 text stream (a leading byte order mark dropped, `\r\n` read as `\n`), each with
 * its 1-based line number; never the whole stream in memory. StringDecoder rather than a streaming
 * TextDecoder: on Node 20 the latter decodes through ICU at a fraction of the speed, and plan reads
 * every line of the store twice.
 */
export async function* readLines(
  stream: Readable,
): AsyncIterable<{ line: string; number: number }> {
  let rest = '';
  let number = 0;
  let first = true;
  const decoder = new StringDecoder('utf8');
  const withoutCr = (line: string) =>
    line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  for await (const chunk of stream) {
    rest += decoder.write(chunk as Buffer);
    if (first && rest.length > 0) {
      if (rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
      first = false;
    }
    let start = 0;
    let newline = rest.indexOf('\n', start);
    while (newline >= 0) {
      number++;
      yield { line: withoutCr(rest.slice(start, newline)), number };
      start = newline + 1;
      newline = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
  }
  // end() only flushes an unfinished character (as U+FFFD), never a byte order mark.
  rest += decoder.end();
  if (rest.length > 0) yield { line: withoutCr(rest), number: number + 1 };
}
