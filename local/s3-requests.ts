import type { S3rverContext } from 's3rver';

/** The object a path-style request addresses, with the id its writes are queued under. */
export interface ObjectTarget {
  bucket: string;
  key: string;
  id: string;
}

export function objectOf(ctx: S3rverContext): ObjectTarget | undefined {
  const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!match) return undefined;
  const bucket = match[1]!;
  const key = decodeURIComponent(match[2]!);
  return { bucket, key, id: `${bucket}/${key}` };
}

/** A query parameter's single value (Koa gives an array when it is repeated). */
export function queryValue(ctx: S3rverContext, name: string): string | undefined {
  const value = ctx.query[name];
  return Array.isArray(value) ? value[0] : value;
}

export function headerValue(ctx: S3rverContext, name: string): string | undefined {
  const value = ctx.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Writes of one key run one at a time, in the order they arrived; a read waits for the writes
 * queued before it. s3rver writes an object's file in place, so this is what keeps a reader
 * from seeing half of one.
 */
export class KeyQueues {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves once the writes of `id` queued so far have finished. */
  settled(id: string): Promise<void> {
    return this.tails.get(id) ?? Promise.resolve();
  }

  async write<T>(id: string, write: () => Promise<T>): Promise<T> {
    const before = this.settled(id);
    let release!: () => void;
    const mine = before.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(id, mine);
    await before;
    try {
      return await write();
    } finally {
      release();
      if (this.tails.get(id) === mine) this.tails.delete(id);
    }
  }
}

const S3_STATUS: Record<string, number> = {
  EntityTooSmall: 400,
  InvalidArgument: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRequest: 400,
  MalformedXML: 400,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  PreconditionFailed: 412,
};

/** An error S3 answers with: its code (which fixes the status), message and detail elements. */
export class S3Failure extends Error {
  constructor(
    readonly code: keyof typeof S3_STATUS,
    message: string,
    readonly detail: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = code;
  }
}

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!,
  );

/** Answers the request with S3's error document. */
export function respondWithFailure(ctx: S3rverContext, failure: S3Failure): void {
  const elements = { Code: failure.code, Message: failure.message, ...failure.detail };
  const body = Object.entries(elements)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  ctx.status = S3_STATUS[failure.code]!;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${body}</Error>`;
}

export const PRECONDITION_FAILED = 'At least one of the pre-conditions you specified did not hold';
export const NO_SUCH_KEY = 'The specified key does not exist.';
