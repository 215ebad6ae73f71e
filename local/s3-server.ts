import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
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

/**
 * The local S3 server: s3rver on 127.0.0.1 with data under `directory`. Paginated listings need
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
