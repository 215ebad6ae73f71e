import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes the archive's bytes through unchanged while taking its sha256 and size for the record. */
export interface DigestStream extends Transform {
  /** Bytes passed so far (the archive's size once the stream has ended). */
  readonly bytes: number;
  /** Hex sha256 of every byte passed; call once the stream has ended. */
  sha256(): string;
}

export function createDigestStream(): DigestStream {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return Object.defineProperties(stream, {
    bytes: { get: () => bytes },
    sha256: { value: () => (digest ??= hash.digest('hex')) },
  }) as DigestStream;
}
