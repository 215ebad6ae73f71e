import { Writable } from 'node:stream';
import type { UploadedPart } from '../aws/multipart';

/** Uploads one part of the archive's multipart upload from memory. */
export type PartUploader = (partNumber: number, body: Buffer) => Promise<UploadedPart>;

/**
 * The bytes written into it become consecutive parts of a multipart upload, numbered from
 * `firstPart`, each `partBytes` long but the last (which S3 alone allows to be smaller), with up
 * to `queue` parts uploading while the next one fills: memory stays at (queue + 1) x partBytes
 * however much goes through.
 */
export class PartStream extends Writable {
  readonly parts: UploadedPart[] = [];
  /** Bytes written so far. */
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextPart: number;
  private readonly uploading = new Set<Promise<void>>();
  private failure: Error | undefined;

  constructor(
    private readonly upload: PartUploader,
    firstPart: number,
    private readonly partBytes: number,
    private readonly queue = 3,
  ) {
    super();
    this.nextPart = firstPart;
  }

  /** The number the next part would take: the part after the last one written. */
  get partsEnd(): number {
    return this.nextPart;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.bytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.sendFull().then(() => done(), done);
  }

  override _final(done: (error?: Error) => void): void {
    const last = this.pendingBytes > 0 ? this.send(this.take(this.pendingBytes)) : undefined;
    Promise.resolve(last)
      .then(() => Promise.all(this.uploading))
      .then(() => done(this.failure), done);
  }

  private async sendFull(): Promise<void> {
    while (this.pendingBytes >= this.partBytes) await this.send(this.take(this.partBytes));
  }

  /** The first `size` pending bytes as one buffer. */
  private take(size: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = all.length > size ? [all.subarray(size)] : [];
    this.pendingBytes -= size;
    return all.subarray(0, size);
  }

  /** Starts one part's upload once fewer than `queue` are in flight; throws what one threw. */
  private async send(body: Buffer): Promise<void> {
    while (this.uploading.size >= this.queue && !this.failure) await Promise.race(this.uploading);
    if (this.failure) throw this.failure;
    const partNumber = this.nextPart++;
    const sending = this.upload(partNumber, body).then(
      (part) => void this.parts.push(part),
      (error: Error) => void (this.failure ??= error),
    );
    const tracked = sending.finally(() => this.uploading.delete(tracked));
    this.uploading.add(tracked);
  }
}
