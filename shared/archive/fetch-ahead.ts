import { PassThrough, type Readable } from 'node:stream';

export interface FetchAheadOptions<T> {
  /** How many fetches are in flight at once (at least 1). */
  concurrency: number;
  /** Releases a fetched value that will never be yielded (the consumer stopped early). */
  discard?: (value: T) => void;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Yields `open(key)` for every key, in the order of the keys, while up to `concurrency` opens run
 * ahead, so that the latency of each source object overlaps with writing the ones before it.
 * Memory stays bounded by `concurrency` values, however many keys there are. A failed open
 * throws when its turn comes; on an early stop the fetched values not yet yielded are discarded.
 */
export async function* fetchAhead<K, T>(
  keys: Iterable<K> | AsyncIterable<K>,
  open: (key: K) => Promise<T>,
  options: FetchAheadOptions<T>,
): AsyncGenerator<T, void, undefined> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const iterator =
    Symbol.asyncIterator in keys
      ? (keys as AsyncIterable<K>)[Symbol.asyncIterator]()
      : (keys as Iterable<K>)[Symbol.iterator]();
  const window: Array<Promise<Settled<T>>> = [];
  let exhausted = false;

  const fill = async () => {
    while (!exhausted && window.length < concurrency) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      window.push(
        open(next.value).then(
          (value): Settled<T> => ({ ok: true, value }),
          (error: unknown): Settled<T> => ({ ok: false, error }),
        ),
      );
    }
  };

  try {
    await fill();
    while (window.length > 0) {
      const settled = await window.shift()!;
      if (!settled.ok) throw settled.error;
      await fill();
      yield settled.value;
    }
  } finally {
    const left = window.splice(0);
    if (!exhausted) await iterator.return?.();
    for (const pending of left) {
      const settled = await pending;
      if (settled.ok) options.discard?.(settled.value);
    }
  }
}

/**
 * Reads a source stream whole when it ends within `limit` bytes (so that fetching ahead really
 * downloads small objects in parallel), else hands back a stream that replays what was read and
 * continues with the rest (large objects are streamed, never held).
 */
export function bufferSmall(stream: Readable, limit: number): Promise<Buffer | Readable> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit) {
          cleanup();
          const rest = new PassThrough();
          for (const piece of chunks) rest.write(piece);
          stream.once('error', (error) => rest.destroy(error));
          stream.pipe(rest);
          resolve(rest);
          return;
        }
      }
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
