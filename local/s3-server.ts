import { mkdirSync } from 'node:fs';
import { sourceWorker } from '../shared/threads';
import S3rver, { type S3rverContext } from 's3rver';
import { LOCAL_BUCKETS } from './endpoints';
import { multipartUploads } from './s3-multipart';
import {
  headerValue,
  KeyQueues,
  NO_SUCH_KEY,
  objectOf,
  PRECONDITION_FAILED,
  respondWithFailure,
  S3Failure,
  type ObjectTarget,
} from './s3-requests';

/** An S3 notification record as s3rver emits it (the shape of an S3 event's Records[]). */
export interface S3EventRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number } };
}

export interface LocalS3 {
  endpoint: string;
  /** Called for every object created or removed, as S3 notifications would be. */
  onEvent(listener: (record: S3EventRecord) => void): void;
  /**
   * Resolves once the notifications of every request answered so far have reached the listeners:
   * they come after the answer, as S3's do, and a caller that must see them waits here.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a request does to the key it addresses: `write` replaces or removes the object (PutObject,
 * CopyObject, DeleteObject, CompleteMultipartUpload), `read` only looks at it, `upload` touches a
 * multipart upload's parts and leaves the object as it is.
 */
function requestKind(ctx: S3rverContext): 'write' | 'read' | 'upload' {
  if (ctx.query.uploadId !== undefined) return ctx.method === 'POST' ? 'write' : 'upload';
  if (ctx.query.uploads !== undefined) return 'upload';
  return ctx.method === 'PUT' || ctx.method === 'DELETE' ? 'write' : 'read';
}

/** Why a conditional write must not happen (S3's answer), or undefined when it may. */
async function failedPrecondition(
  ctx: S3rverContext,
  { bucket, key }: ObjectTarget,
): Promise<S3Failure | undefined> {
  const ifNoneMatch = headerValue(ctx, 'if-none-match');
  const ifMatch = headerValue(ctx, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  const exists = await ctx.store.existsObject(bucket, key);
  if (ifNoneMatch === '*' && exists)
    return new S3Failure('PreconditionFailed', PRECONDITION_FAILED);
  if (ifMatch === undefined) return undefined;
  if (!exists) return new S3Failure('NoSuchKey', NO_SUCH_KEY);
  if ((await ctx.store.getMetadata(bucket, key)).etag !== ifMatch)
    return new S3Failure('PreconditionFailed', PRECONDITION_FAILED);
  return undefined;
}

/**
 * What s3rver lacks and S3 has, in front of it: an object is replaced atomically (s3rver writes
 * the file in place, so a read during a write could see it half-written), and PutObject and
 * CompleteMultipartUpload honour `If-None-Match: *` (412 when the key exists) and
 * `If-Match: etag` (412 when the object changed, 404 when there is none), so that a claim made by
 * a conditional put is atomic here as on S3. Writes and deletes of one key run one at a time; a
 * read waits for the writes queued before it.
 */
export function objectConsistency(queues = new KeyQueues()) {
  return async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const target = objectOf(ctx);
    const kind = target && requestKind(ctx);
    if (!target || kind === 'upload') return next();
    if (kind === 'read') {
      await queues.settled(target.id);
      return next();
    }
    await queues.write(target.id, async () => {
      const failure = ctx.method === 'DELETE' ? undefined : await failedPrecondition(ctx, target);
      if (failure) respondWithFailure(ctx, failure);
      else await next();
    });
  };
}

/**
 * The local S3 server: s3rver on 127.0.0.1 with data under `directory`, with atomic object
 * replacement and conditional puts in front (objectConsistency), then the multipart uploads S3
 * has and s3rver lacks (multipartUploads: UploadPartCopy, Abort, S3's checks and ETag on
 * Complete). Paginated listings need
 * Node's legacy OpenSSL provider (s3rver encrypts continuation tokens with DES): the npm scripts
 * set `--openssl-legacy-provider`. It serves on the calling thread; startS3Server starts it on a
 * thread of its own.
 */
export async function serveS3(directory: string, port = 0): Promise<LocalS3> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: LOCAL_BUCKETS.data }, { name: LOCAL_BUCKETS.exports }],
  });
  // Just before s3rver's router, the last of its middleware: after its logging and XML shaping.
  const queues = new KeyQueues();
  server.middleware.splice(
    server.middleware.length - 1,
    0,
    objectConsistency(queues),
    multipartUploads(queues),
  );
  const address = (await server.run()) as { address: string; port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    onEvent(listener) {
      server.on('event', (event: { Records: S3EventRecord[] }) => {
        for (const record of event.Records) listener(record);
      });
    },
    // s3rver notifies before it answers, on this thread.
    settled: async () => undefined,
    close: () => server.close(),
  };
}

/** What the server's thread tells the thread that started it. */
export type S3ThreadMessage =
  | { kind: 'ready'; endpoint: string }
  | { kind: 'event'; record: S3EventRecord }
  | { kind: 'settled' }
  | { kind: 'closed' };

/** What the starting thread asks of the server's thread. */
export type S3ThreadRequest = { kind: 'settle' } | { kind: 'close' };

/**
 * The local S3 server (serveS3) on a worker thread of its own: in one process with the state
 * machine runner and every handler, the server's request parsing, file reads and XML would
 * otherwise take a third of the one thread's time, and the machine has a second core. Its
 * notifications come back as messages, after the request that made them, as S3's do.
 */
export async function startS3Server(directory: string, port = 0): Promise<LocalS3> {
  const thread = sourceWorker(new URL('./s3-server-thread.ts', import.meta.url), {
    workerData: { directory, port },
  });
  const listeners: Array<(record: S3EventRecord) => void> = [];
  /** Waiting settled() calls, oldest first: the thread answers them in the order asked. */
  const settling: Array<() => void> = [];
  let closed: (() => void) | undefined;
  const ask = (request: S3ThreadRequest) => thread.postMessage(request);
  const endpoint = await new Promise<string>((resolve, reject) => {
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the S3 server's thread exited (${code})`)));
    thread.on('message', (message: S3ThreadMessage) => {
      if (message.kind === 'ready') resolve(message.endpoint);
      else if (message.kind === 'event') for (const listener of listeners) listener(message.record);
      else if (message.kind === 'settled') settling.shift()?.();
      else closed?.();
    });
  });
  thread.removeAllListeners('error').removeAllListeners('exit');
  // Every request fails from here on, loudly enough; the process itself goes on.
  thread.on('error', (error) => console.error("the local S3 server's thread failed:", error));
  let exited = false;
  thread.once('exit', () => {
    exited = true;
    closed?.();
    for (const resolve of settling.splice(0)) resolve();
  });
  return {
    endpoint,
    onEvent: (listener) => void listeners.push(listener),
    // Messages keep their order: the thread's answer comes after every notification it sent
    // before it, and it sent each one before answering the request that made it.
    settled: () =>
      exited
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            settling.push(resolve);
            ask({ kind: 'settle' });
          }),
    async close() {
      if (!exited)
        await new Promise<void>((resolve) => {
          closed = resolve;
          ask({ kind: 'close' });
        });
      await thread.terminate();
    },
  };
}
