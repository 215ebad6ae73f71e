declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    vhostBuckets?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }

  /** The slice of s3rver's filesystem store that the local server's own middleware uses. */
  export interface S3rverStore {
    existsObject(bucket: string, key: string): Promise<boolean>;
    getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
    getBucket(bucket: string): Promise<object | null>;
    /**
     * Where s3rver keeps a resource of a key: `{root}/{bucket}/{key dirs}/{name}._S3rver_{resource}`
     * (`object`, `object.md5`, `metadata.json`; `uploads` with no key for multipart uploads).
     */
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    /** Writes an object's metadata (its allowed headers) and, when given, its ETag's MD5 text. */
    putMetadata(
      bucket: string,
      key: string,
      metadata: Record<string, string>,
      md5?: string,
    ): Promise<void>;
  }

  /** The slice of Koa's context that the local server's own middleware uses. */
  export interface S3rverContext {
    method: string;
    path: string;
    origin: string;
    query: Record<string, string | string[] | undefined>;
    headers: Record<string, string | string[] | undefined>;
    req: IncomingMessage;
    app: EventEmitter;
    status: number;
    type: string;
    body: unknown;
    store: S3rverStore;
  }

  export default class S3rver extends EventEmitter {
    constructor(options: S3rverOptions);
    /** Koa's middleware list, composed when the server starts listening. */
    middleware: Array<(ctx: S3rverContext, next: () => Promise<void>) => Promise<void>>;
    run(): Promise<unknown>;
    close(): Promise<void>;
  }
}
