import {
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { createArchive } from '../../../shared/archive';
import { RecordStore, recordKeys, type ExportRecord } from '../../../shared/exports/record';
import { recordFailure } from '../../../shared/pipeline/failure';
import { collectMerges, packageExport } from '../../../shared/pipeline/package';
import { readPlan } from '../../../shared/pipeline/plan';
import { writeShardSegment } from '../../../shared/pipeline/segment-writer';
import { beginArchiveUpload } from '../../../shared/pipeline/stitch';
import { workKeys, type ExportRef, type ShardStats } from '../../../shared/pipeline/work';
import { openZip } from '../../helpers/zip';
import { BUCKETS } from '../api/fake-aws';
import { fakePipeline, P, renderedExport, seedImages, type FakePipeline } from './staging';

let pipeline: FakePipeline;

beforeEach(async () => {
  pipeline = fakePipeline(2);
  await seedImages(pipeline, 5);
});

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const records = () => new RecordStore(pipeline.deps.s3, BUCKETS.exports);
const archiveOf = (record: ExportRecord) =>
  pipeline.aws.objects.get(`${BUCKETS.exports}/${record.archive!.key}`)!;
const sent = (command: unknown) => pipeline.aws.s3Mock.commandCalls(command as never);

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The zip createArchive writes of the same entries in the same order, with the same date. */
async function referenceOf(archive: Buffer, record: ExportRecord): Promise<Buffer> {
  const zip = await openZip(archive);
  const reference = createArchive({ date: new Date(record.created_at) });
  const bytes = collect(reference.stream);
  for (const name of zip.names) await reference.append(name, Buffer.from(await zip.bytes(name)));
  await reference.finalize();
  await zip.close();
  return bytes;
}

describe('collectMerges', () => {
  it("groups each per-dataset file's parts in shard order, in the order the archive lists the files", async () => {
    const ref = await renderedExport(pipeline);
    const merges = await collectMerges(pipeline.deps, await readPlan(pipeline.deps, ref.exportId));
    expect(merges.map((m) => m.path)).toEqual([
      'annotations/Parks/darknet.labels',
      'obj.data',
      'obj.names',
      'train.txt',
    ]);
    expect(merges[0]!.keys.map((k) => k.shard)).toEqual([0, 1, 2]);
    expect(merges[0]!.context.dataset.id).toBe('d1');
  });

  it('refuses a staged part that no rule of the format merges', async () => {
    const ref = await renderedExport(pipeline);
    pipeline.aws.put(
      BUCKETS.exports,
      workKeys.part(ref.exportId, 1, 'annotations/Parks/x.bin'),
      'x',
    );
    await expect(
      collectMerges(pipeline.deps, await readPlan(pipeline.deps, ref.exportId)),
    ).rejects.toThrow('staged part annotations/Parks/x.bin has no merge rule');
  });
});

describe('packageExport: the stitched bytes', () => {
  it('stitches byte for byte the zip createArchive writes of the same entries, and records its size and CRC-32', async () => {
    const ref = await renderedExport(pipeline);
    const record = await packageExport(pipeline.deps, ref);
    expect(record.status).toBe('SUCCEEDED');
    const archive = archiveOf(record);
    expect(sha256(archive)).toBe(sha256(await referenceOf(archive, record)));
    expect(record.archive).toMatchObject({
      bytes: archive.length,
      crc32: crc32(archive).toString(16).padStart(8, '0'),
      files: 5 * 3 + 4 + 2,
    });
    const zip = await openZip(archive);
    expect(zip.names.slice(-6)).toEqual([
      'annotations/Parks/darknet.labels',
      'obj.data',
      'obj.names',
      'train.txt',
      'manifest.json',
      'checksums.sha256',
    ]);
    await zip.close();
    expect(pipeline.aws.keys(BUCKETS.exports, 'work/')).toEqual([]);
    expect(pipeline.aws.uploads.size).toBe(0);
  });

  it('gives the same bytes whatever order the shards were rendered in', async () => {
    const archives: Buffer[] = [];
    for (const order of [(s: number[]) => s, (s: number[]) => [...s].reverse()]) {
      pipeline = fakePipeline(2);
      await seedImages(pipeline, 5);
      const now = () => new Date('2026-03-01T10:00:00.000Z');
      const started = { ...pipeline.aws.deps, now };
      const ref = await renderedExport(pipeline, {}, order, { deps: started, exportId: 'e-fixed' });
      archives.push(archiveOf(await packageExport(pipeline.deps, ref)));
    }
    expect(sha256(archives[1]!)).toBe(sha256(archives[0]!));
  });
});

describe('packageExport: what passes through it', () => {
  it("has S3 copy the shards' large segments, and reads only small ones and the indexes", async () => {
    pipeline = fakePipeline(2);
    // Segments of about 6, 6 and 3 MiB: two are parts of their own, the last joins the end.
    await seedImages(pipeline, 5, () => 3 * MiB);
    const ref = await renderedExport(pipeline);
    const copied = sent(UploadPartCopyCommand).map((c) => c.args[0].input);
    const record = await packageExport(pipeline.deps, ref);
    const copies = sent(UploadPartCopyCommand)
      .slice(copied.length)
      .map((c) => c.args[0].input);
    expect(copies.map((c) => [c.PartNumber, c.CopySource!.split('/').pop()])).toEqual([
      [1, '000000.zip'],
      [2, '000001.zip'],
    ]);
    const reads = sent(GetObjectCommand).map(
      (c) => c.args[0].input as { Key: string; Range?: string },
    );
    const segmentReads = reads.filter((r) => r.Key.endsWith('.zip'));
    expect(segmentReads.map((r) => r.Key.split('/').pop())).toEqual(['000002.zip']);
    expect(segmentReads[0]!.Range).toMatch(/^bytes=0-\d+$/);
    const archive = archiveOf(record);
    expect(archive.length).toBeGreaterThan(15 * MiB);
    expect(sha256(archive)).toBe(sha256(await referenceOf(archive, record)));
    expect(record.archive!.crc32).toBe(crc32(archive).toString(16).padStart(8, '0'));
  });

  it('lists every entry in checksums.sha256 under the name the zip holds, so that sha256sum -c passes', async () => {
    const ref = await renderedExport(pipeline);
    await replaceSegment(ref, 0, ['datasets\\Parks\\back slash.txt', '/rooted.txt', 'ünï ☃.txt']);
    const record = await packageExport(pipeline.deps, ref);
    const zip = await openZip(archiveOf(record));
    const lines = (await zip.text('checksums.sha256')).trimEnd().split('\n');
    const listed = lines.map((line) => /^([0-9a-f]{64}) {2}(.+)$/.exec(line)!);
    expect(listed.map((m) => m[2])).toEqual(zip.names.filter((n) => n !== 'checksums.sha256'));
    expect(listed.map((m) => m[2])).toContain('datasets/Parks/back slash.txt');
    const root = await mkdtemp(join(tmpdir(), 'checksums-'));
    try {
      for (const name of zip.names) {
        await mkdir(dirname(join(root, name)), { recursive: true });
        await writeFile(join(root, name), await zip.bytes(name));
      }
      const check = spawnSync('sha256sum', ['-c', 'checksums.sha256'], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(check.error).toBeUndefined();
      expect(check.status, check.stdout + check.stderr).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
      await zip.close();
    }
  });
});

describe('packageExport: passwords, failures and cancels', () => {
  it('enciphers its own entries with the password, then removes the password', async () => {
    const ref = await renderedExport(pipeline, { password: 'end secret' });
    const record = await packageExport(pipeline.deps, ref);
    const zip = await openZip(archiveOf(record), 'end secret');
    expect(zip.entries.every((e) => e.encrypted)).toBe(true);
    expect(JSON.parse(await zip.text('manifest.json')).encryption).toEqual({ method: 'aes256' });
    await zip.close();
    expect(pipeline.aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
  });

  it('aborts the upload and leaves no archive when a segment is missing', async () => {
    const ref = await renderedExport(pipeline);
    pipeline.aws.objects.delete(`${BUCKETS.exports}/${workKeys.segment(ref.exportId, 2)}`);
    await expect(packageExport(pipeline.deps, ref)).rejects.toMatchObject({
      name: 'NotFoundError',
      message: `${workKeys.segment(ref.exportId, 2)} does not exist`,
    });
    expect(pipeline.aws.uploads.size).toBe(0);
    expect(pipeline.aws.keys(BUCKETS.exports, `exports/${P}/${ref.exportId}/`)).toEqual([
      recordKeys.record(P, ref.exportId),
    ]);
  });

  it('offers no archive for an export cancelled while it was stitched', async () => {
    const ref = await renderedExport(pipeline);
    const deps = { ...pipeline.deps, s3: afterCompleting(pipeline.deps.s3, () => cancel(ref)) };
    const record = await packageExport(deps, ref);
    expect(record.status).toBe('CANCELLED');
    expect(pipeline.aws.keys(BUCKETS.exports, `exports/${P}/${ref.exportId}/`)).toEqual([
      recordKeys.record(P, ref.exportId),
    ]);
    expect(pipeline.aws.keys(BUCKETS.exports, 'work/')).toEqual([]);
  });
});

describe('recordFailure after a package that died', () => {
  it('aborts the upload the package began, then records FAILED', async () => {
    const ref = await renderedExport(pipeline);
    const upload = await beginArchiveUpload(pipeline.deps, ref.exportId, 'exports/p/x/a.zip');
    expect(pipeline.aws.uploads.has(upload.uploadId)).toBe(true);
    const { record, recorded } = await recordFailure(pipeline.deps, {
      ...ref,
      error: { Error: 'States.Timeout', Cause: '' },
    });
    expect([record.status, record.error?.code, recorded]).toEqual(['FAILED', 'Timeout', true]);
    expect(pipeline.aws.uploads.size).toBe(0);
    // The RecordFailure after the Map keeps the reason a shard recorded.
    const again = await recordFailure(pipeline.deps, {
      ...ref,
      error: { Error: 'States.ExceedToleratedFailureThreshold', Cause: '' },
    });
    expect([again.record.error?.code, again.recorded]).toEqual(['Timeout', false]);
  });
});

/** Shard `index`'s segment rewritten to hold text files under `names`, its stats to match. */
async function replaceSegment(ref: ExportRef, index: number, names: string[]): Promise<void> {
  const summary = await writeShardSegment(
    pipeline.deps,
    { exportId: ref.exportId, shard: index },
    { date: new Date('2026-03-01T00:00:00Z') },
    async (entries) => {
      for (const [n, name] of names.entries()) await entries.add(name, `file ${n}: ${name}\n`);
    },
  );
  const key = `${BUCKETS.exports}/${workKeys.stats(ref.exportId, index)}`;
  const stats = JSON.parse(pipeline.aws.objects.get(key)!.toString()) as ShardStats;
  pipeline.aws.objects.set(key, Buffer.from(JSON.stringify({ ...stats, segment: summary })));
}

/** The client, which runs `then` once it has completed a multipart upload. */
function afterCompleting(s3: S3Client, then: () => Promise<void>): S3Client {
  return new Proxy(s3, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return async (command: object) => {
        const answer = await target.send(command as never);
        if (command instanceof CompleteMultipartUploadCommand) await then();
        return answer;
      };
    },
  });
}

async function cancel(ref: ExportRef): Promise<void> {
  const record = await records().get(ref.projectId, ref.exportId);
  await records().put({ ...record, status: 'CANCELLED' });
}
