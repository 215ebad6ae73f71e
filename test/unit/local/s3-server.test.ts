import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS } from '../../../local/endpoints';
import { startS3Server, type S3EventRecord } from '../../../local/s3-server';

const directory = mkdtempSync(join(tmpdir(), 'local-s3-thread-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const clientOf = (endpoint: string) =>
  new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });

describe('the local S3 server on its own thread', () => {
  it('serves objects, sends each notification to every listener by the time settled() resolves, and keeps the data after a restart', async () => {
    const server = await startS3Server(directory);
    const s3 = clientOf(server.endpoint);
    const seen: S3EventRecord[][] = [[], []];
    server.onEvent((record) => seen[0]!.push(record));
    server.onEvent((record) => seen[1]!.push(record));
    const Bucket = LOCAL_BUCKETS.data;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'a/kept.txt', Body: 'kept' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'a/gone.txt', Body: 'gone' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a/gone.txt' }));
    // Notifications follow the answers, as S3's do: settled() waits for those of every request.
    await server.settled();
    expect(
      seen[0]!.map((r) => [r.eventName.split(':')[0], r.s3.bucket.name, r.s3.object.key]),
    ).toEqual([
      ['ObjectCreated', Bucket, 'a/kept.txt'],
      ['ObjectCreated', Bucket, 'a/gone.txt'],
      ['ObjectRemoved', Bucket, 'a/gone.txt'],
    ]);
    expect(seen[1]).toEqual(seen[0]);
    s3.destroy();
    await server.close();

    const again = await startS3Server(directory);
    const s3Again = clientOf(again.endpoint);
    const body = await s3Again.send(new GetObjectCommand({ Bucket, Key: 'a/kept.txt' }));
    expect(await body.Body!.transformToString()).toBe('kept');
    s3Again.destroy();
    await again.close();
  });
});
