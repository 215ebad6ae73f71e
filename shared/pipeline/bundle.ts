/**
 * A shard's per-item files (one VOC XML, YOLO text or mask PNG per image) staged as ONE object
 * instead of hundreds: each file is a JSON header line `{"path","bytes"}` followed by its bytes.
 * A bundle holds at most about BUNDLE_BYTES of one shard's files whatever the export's size.
 */
export interface BundledFile {
  path: string;
  body: Uint8Array;
}

export function encodeBundle(files: Iterable<{ path: string; body: string | Uint8Array }>): Buffer {
  const pieces: Buffer[] = [];
  for (const file of files) {
    const body =
      typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : Buffer.from(file.body);
    pieces.push(
      Buffer.from(JSON.stringify({ path: file.path, bytes: body.length }) + '\n', 'utf8'),
      body,
    );
  }
  return Buffer.concat(pieces);
}

export function* decodeBundle(bundle: Buffer): Iterable<BundledFile> {
  let offset = 0;
  while (offset < bundle.length) {
    const newline = bundle.indexOf(0x0a, offset);
    if (newline < 0) throw new Error('bundle is truncated: a header has no end');
    const header = JSON.parse(bundle.toString('utf8', offset, newline)) as {
      path: string;
      bytes: number;
    };
    const start = newline + 1;
    const end = start + header.bytes;
    if (end > bundle.length) throw new Error(`bundle is truncated inside ${header.path}`);
    yield { path: header.path, body: bundle.subarray(start, end) };
    offset = end;
  }
}

/** Where a spool keeps its bundles: numbered objects of one shard (`work/.../bundles/`). */
export interface BundleStore {
  put(n: number, bundle: Buffer): Promise<void>;
  get(n: number): Promise<Buffer>;
}

/** Bytes of per-item files a spool holds in memory before it stages them as one bundle. */
export const BUNDLE_BYTES = 32 * 1024 * 1024;

/**
 * A shard's per-item files, kept in the order they were rendered until the shard's segment is
 * written (the segment holds the shard's sources first, and a renderer names its sources and
 * files in any order): in memory up to `limit` bytes, and beyond that staged as bundles, so that
 * a shard of large masks never sits whole in memory while a shard of small files makes no request.
 */
export class FileSpool {
  private held: Array<{ path: string; body: string | Uint8Array }> = [];
  private heldBytes = 0;
  private staged = 0;

  constructor(
    private readonly store: BundleStore,
    private readonly limit = BUNDLE_BYTES,
  ) {}

  async add(path: string, body: string | Uint8Array): Promise<void> {
    this.held.push({ path, body });
    this.heldBytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (this.heldBytes < this.limit) return;
    const bundle = encodeBundle(this.held);
    this.held = [];
    this.heldBytes = 0;
    await this.store.put(this.staged++, bundle);
  }

  /** Every file added, in order: the staged bundles read back one at a time, then those held. */
  async *files(): AsyncIterable<{ path: string; body: string | Uint8Array }> {
    for (let n = 0; n < this.staged; n++) yield* decodeBundle(await this.store.get(n));
    yield* this.held;
  }
}
