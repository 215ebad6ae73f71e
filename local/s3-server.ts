import { mkdirSync } from 'node:fs';
import S3rver, { type S3rverContext } from 's3rver';
import { LOCAL_BUCKETS } from './endpoints';

/** An S3 notification record as s3rver emits it (the shape of an S3 event's Records[]). */
export interface S3EventRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number } };
}

export interface LocalS3 {
  endpoint: string;
  /** Called for every object created or removed, as S3 notifications would be. */
  onEvent(listener: (record: S3EventRecord) => void): void;
  close(): Promise<void>;
}

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

/**
 * What s3rver lacks and S3 has, in front of it: an object is replaced atomically (s3rver writes
 * the file in place, so a read during a write could see it half-written), and PutObject honours
 * `If-None-Match: *` (412 when the key exists) and `If-Match: etag` (412 when the object changed,
 * 404 when there is none), so that a claim made by a conditional put is atomic here as on S3.
 * Writes and deletes of one key run one at a time; a read waits for the writes queued before it.
 * Multipart uploads are not covered (nothing here writes them conditionally).
 */
export function objectConsistency() {
  const queues = new Map<string, Promise<void>>();
  return async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    const multipart = ctx.query.uploadId !== undefined || ctx.query.uploads !== undefined;
    if (!match || multipart) return next();
    const bucket = match[1]!;
    const key = decodeURIComponent(match[2]!);
    const id = `${bucket}/${key}`;
    if (ctx.method !== 'PUT' && ctx.method !== 'DELETE') {
      await queues.get(id);
      return next();
    }
    const before = queues.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = before.then(() => new Promise<void>((resolve) => (release = resolve)));
    queues.set(id, mine);
    await before;
    try {
      const ifNoneMatch = ctx.headers['if-none-match'];
      const ifMatch = ctx.headers['if-match'];
      if (ctx.method === 'PUT' && (ifNoneMatch !== undefined || ifMatch !== undefined)) {
        const exists = await ctx.store.existsObject(bucket, key);
        let failed: [number, string, string] | undefined;
        if (ifNoneMatch === '*' && exists)
          failed = [
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          ];
        else if (ifMatch !== undefined && !exists)
          failed = [404, 'NoSuchKey', 'The specified key does not exist.'];
        else if (
          ifMatch !== undefined &&
          (await ctx.store.getMetadata(bucket, key)).etag !== ifMatch
        )
          failed = [
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          ];
        if (failed) {
          ctx.status = failed[0];
          ctx.type = 'application/xml';
          ctx.body = s3ErrorXml(failed[1], failed[2]);
          return;
        }
      }
      await next();
    } finally {
      release();
      if (queues.get(id) === mine) queues.delete(id);
    }
  };
}

/**
 * The local S3 server: s3rver on 127.0.0.1 with data under `directory`, with atomic object
 * replacement and conditional puts in front (objectConsistency). Paginated listings need
 * Node's legacy OpenSSL provider (s3rver encrypts continuation tokens with DES): the npm scripts
 * set `--openssl-legacy-provider`.
 */
export async function startS3Server(directory: string, port = 0): Promise<LocalS3> {
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
  server.middleware.splice(server.middleware.length - 1, 0, objectConsistency());
  const address = (await server.run()) as { address: string; port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    onEvent(listener) {
      server.on('event', (event: { Records: S3EventRecord[] }) => {
        for (const record of event.Records) listener(record);
      });
    },
    close: () => server.close(),
  };
}
