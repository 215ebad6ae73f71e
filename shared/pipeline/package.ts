import { createHash } from 'node:crypto';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  bufferSmall,
  centralDirectory,
  fetchAhead,
  placeSegments,
  readSegmentIndex,
  type SegmentEntry,
  type SegmentIndex,
  type SegmentIndexReader,
} from '../archive';
import { abortMultipartUpload } from '../aws/multipart';
import { deleteKey, deletePrefix, getStream, getText, listKeys } from '../aws/s3';
import { removeStagedAndArchive } from '../exports/cancel';
import { RecordStore, recordKeys, type ExportRecord } from '../exports/record';
import { findFormat } from '../formats/index';
import type { FormatContext, MergeRule, Part } from '../formats/types';
import { safeName } from '../names';
import { buildManifest } from './manifest';
import { readPlan } from './plan';
import { readZipSecrets } from './secret';
import { streamSegment, type SegmentEntries } from './segment-writer';
import { beginArchiveUpload, stitchArchive, type StitchedArchive } from './stitch';
import {
  subsetPrefix,
  workKeys,
  type ExportRef,
  type PipelineDeps,
  type Plan,
  type ShardPlan,
  type ShardStats,
} from './work';

/** Segment indexes read ahead of the one being read: each a GET, 20 ms or more on S3. */
const INDEX_READ_AHEAD = 8;
/**
 * The small objects package reads once per shard (stats, listings of staged parts, the parts
 * themselves) read this many ahead: one at a time, 20 ms each, they cost a million-image export
 * minutes.
 */
const READS_AHEAD = 16;
/** An index up to this size is downloaded whole while read ahead; a larger one streams. */
const SMALL_INDEX_BYTES = 4 * 1024 * 1024;
/** checksums.sha256 is handed to the zip in pieces of about this size, not a line at a time. */
const CHECKSUM_CHUNK_BYTES = 64 * 1024;

/** A per-dataset file package writes: the shards' parts of it and how they merge. */
export interface MergeGroup {
  path: string;
  rule: MergeRule;
  keys: Array<{ shard: number; key: string }>;
  context: FormatContext;
}

/** What every step of package knows: the export, its plan and its shards' stats. */
export interface PackageContext {
  record: ExportRecord;
  plan: Plan;
  stats: ShardStats[];
}

/**
 * Package (DESIGN §11): collects the per-dataset parts to merge, stitches the archive from the
 * shards' segments on S3 (their bytes copied by S3, not through this function) followed by the
 * merged files, manifest.json, checksums.sha256 and the central directory that it writes itself;
 * then removes the password, records SUCCEEDED and removes the staged work.
 */
export async function packageExport(deps: PipelineDeps, ref: ExportRef): Promise<ExportRecord> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.get(ref.projectId, ref.exportId);
  // A retry of a package that succeeded (its answer lost on the way back) has nothing to do.
  if (record.status === 'SUCCEEDED') return record;
  const plan = await readPlan(deps, ref.exportId);
  const context = { record, plan, stats: await readStats(deps, plan) };
  const merges = await collectMerges(deps, plan);
  const archive = await writeArchive(deps, context, merges);
  return finishExport(deps, context, archive);
}

async function readStats(deps: PipelineDeps, plan: Plan): Promise<ShardStats[]> {
  const stats: ShardStats[] = [];
  const read = (shard: ShardPlan) =>
    getText(deps.s3, deps.exportBucket, workKeys.stats(plan.exportId, shard.index));
  for await (const text of fetchAhead(plan.shards, read, { concurrency: READS_AHEAD }))
    stats.push(JSON.parse(text) as ShardStats);
  return stats;
}

/** Every key under `prefix`, listed whole: a shard's staged parts, a few objects. */
async function keysUnder(deps: PipelineDeps, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of listKeys(deps.s3, deps.exportBucket, prefix)) keys.push(key);
  return keys;
}

/**
 * The shards' staged parts of per-dataset files, grouped by the file they make, in the order the
 * archive lists those files: by first shard, then by path.
 */
export async function collectMerges(deps: PipelineDeps, plan: Plan): Promise<MergeGroup[]> {
  const format = plan.format ? findFormat(plan.format) : undefined;
  const groups = new Map<string, MergeGroup>();
  const listed = async (shard: ShardPlan) => {
    const partsPrefix = workKeys.shardParts(plan.exportId, shard.index);
    return { shard, partsPrefix, keys: await keysUnder(deps, partsPrefix) };
  };
  const listings = fetchAhead(plan.shards, listed, { concurrency: READS_AHEAD });
  for await (const { shard, partsPrefix, keys } of listings) {
    const { dataset, folder } = plan.datasets.find((d) => d.dataset.id === shard.datasetId)!;
    const annotationsRoot = `${subsetPrefix(shard.subset)}annotations/${folder}/`;
    for (const key of keys) {
      const path = key.slice(partsPrefix.length);
      const rule = format?.merges.find((m) =>
        m.root
          ? m.matches(path)
          : path.startsWith(annotationsRoot) && m.matches(path.slice(annotationsRoot.length)),
      );
      if (!rule || !plan.task) throw new Error(`staged part ${path} has no merge rule`);
      const context = { exportName: plan.exportName, createdAt: plan.createdAt, task: plan.task };
      const group = groups.get(path) ?? { path, rule, keys: [], context: { ...context, dataset } };
      group.keys.push({ shard: shard.index, key });
      groups.set(path, group);
    }
  }
  return [...groups.values()];
}

/**
 * The archive, as a multipart upload stitched from the segments and the end package writes; a
 * failure aborts the upload, so that no archive and no parts are left.
 */
async function writeArchive(
  deps: PipelineDeps,
  context: PackageContext,
  merges: MergeGroup[],
): Promise<StitchedArchive & { key: string }> {
  const { record, plan, stats } = context;
  const key = recordKeys.archive(record.projectId, record.id, safeName(record.name));
  const upload = await beginArchiveUpload(deps, record.id, key);
  const segments = stats.map((s) => ({
    key: workKeys.segment(plan.exportId, s.index),
    bytes: s.segment.bytes,
    crc32: s.segment.crc32,
  }));
  try {
    const stitched = await stitchArchive(deps, upload, segments, (out, start) =>
      writeEnd(deps, context, merges, out, start),
    );
    return { ...stitched, key };
  } catch (error) {
    await abortMultipartUpload(deps.s3, upload).catch(() => undefined);
    throw error;
  }
}

/**
 * The end of the archive, from `start`: the merged per-dataset files, manifest.json and
 * checksums.sha256 as one more segment, then the central directory of every entry, streamed
 * from the shards' indexes and the end's own.
 */
async function writeEnd(
  deps: PipelineDeps,
  context: PackageContext,
  merges: MergeGroup[],
  out: Writable,
  start: number,
): Promise<{ entries: number }> {
  const { record, plan } = context;
  const options = { ...(await readZipSecrets(deps, record)), date: new Date(plan.createdAt) };
  const end = await streamSegment(
    options,
    (bytes) => pipeline(bytes, out, { end: false }),
    (entries) => writeEndEntries(deps, context, merges, new HashedEntries(entries)),
  );
  const directory = centralDirectory(placeSegments(withEnd(segmentIndexes(deps, context), end)), {
    offset: start + end.bytes,
  });
  await pipeline(Readable.from(directory), out, { end: false });
  return { entries: context.stats.reduce((n, s) => n + s.segment.entries, 0) + end.entries.length };
}

async function writeEndEntries(
  deps: PipelineDeps,
  context: PackageContext,
  merges: MergeGroup[],
  entries: HashedEntries,
): Promise<void> {
  for (const group of merges) {
    const parts = () =>
      fetchAhead(
        group.keys,
        async ({ shard, key }): Promise<Part> => ({
          shard,
          body: await getText(deps.s3, deps.exportBucket, key),
        }),
        { concurrency: READS_AHEAD },
      );
    await entries.add(group.path, Readable.from(group.rule.merge(parts, group.context)));
  }
  const manifest = buildManifest(context.plan, context.record, context.stats);
  await entries.add('manifest.json', JSON.stringify(manifest, null, 2));
  const checksums = checksumLines(segmentIndexes(deps, context), entries.written);
  await entries.segment.add('checksums.sha256', Readable.from(checksums));
}

/**
 * Entries of the end written with their sha256 taken on the way, for checksums.sha256 (which is
 * written before the end's own index exists), under the name the zip holds.
 */
class HashedEntries {
  readonly written: Array<{ name: string; sha256: string }> = [];

  constructor(readonly segment: SegmentEntries) {}

  async add(path: string, body: Readable | string): Promise<void> {
    const hash = createHash('sha256');
    if (typeof body === 'string') {
      hash.update(body);
      this.written.push({ name: await this.segment.add(path, body), sha256: hash.digest('hex') });
      return;
    }
    const hashed = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    body.once('error', (error) => hashed.destroy(error));
    const name = await this.segment.add(path, body.pipe(hashed));
    this.written.push({ name, sha256: hash.digest('hex') });
  }
}

/**
 * checksums.sha256: `{sha256}  {name}` for every entry before it, as `sha256sum` writes and
 * checks them — the shards' from their indexes, streamed, then the end's own.
 */
async function* checksumLines(
  indexes: AsyncIterable<SegmentIndexReader>,
  own: Array<{ name: string; sha256: string }>,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const index of indexes) {
    for await (const entry of index.entries) {
      chunk += `${entry.sha256}  ${entry.name}\n`;
      if (chunk.length < CHECKSUM_CHUNK_BYTES) continue;
      yield chunk;
      chunk = '';
    }
  }
  for (const entry of own) chunk += `${entry.sha256}  ${entry.name}\n`;
  if (chunk) yield chunk;
}

/**
 * The shards' segment indexes in shard order, each opened while the ones before it are read
 * (a few read ahead), each checked against the segment's size its stats gave.
 */
function segmentIndexes(
  deps: PipelineDeps,
  context: PackageContext,
): AsyncIterable<SegmentIndexReader> {
  return fetchAhead(
    context.stats,
    async (stats) => {
      const key = workKeys.segmentIndex(context.plan.exportId, stats.index);
      const body = await bufferSmall(
        await getStream(deps.s3, deps.exportBucket, key),
        SMALL_INDEX_BYTES,
      );
      const index = await readSegmentIndex(Buffer.isBuffer(body) ? [body] : body);
      if (index.bytes !== stats.segment.bytes || index.count !== stats.segment.entries)
        throw new Error(`the index of shard ${stats.index}'s segment does not match the segment`);
      return index;
    },
    { concurrency: INDEX_READ_AHEAD },
  );
}

async function* withEnd(
  indexes: AsyncIterable<SegmentIndexReader>,
  end: SegmentIndex,
): AsyncIterable<{ bytes: number; entries: AsyncIterable<SegmentEntry> | Iterable<SegmentEntry> }> {
  yield* indexes;
  yield end;
}

/**
 * The end of package: the password goes, then the record says SUCCEEDED — unless the export
 * ended while the archive was written (cancelled, or closed as failed after a timeout): such an
 * export never offers an archive. Staged work is removed last.
 */
async function finishExport(
  deps: PipelineDeps,
  context: PackageContext,
  archive: StitchedArchive & { key: string },
): Promise<ExportRecord> {
  const { record, plan, stats } = context;
  const records = new RecordStore(deps.s3, deps.exportBucket);
  // The password goes before the record says SUCCEEDED: once it does, none may be left at rest
  // whatever happens next (DESIGN §15). A retry after this point finds no password and fails.
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(record.id));
  const latest = await records.get(record.projectId, record.id);
  if (latest.status !== 'RUNNING') {
    await removeStagedAndArchive(deps, latest);
    return latest;
  }
  const manifest = buildManifest(plan, record, stats);
  const finished = await records.update(record.projectId, record.id, {
    status: 'SUCCEEDED',
    finished_at: new Date().toISOString(),
    progress: { done: plan.shards.length, total: plan.shards.length },
    archive: {
      key: archive.key,
      bytes: archive.bytes,
      crc32: archive.crc32,
      files: archive.entries,
    },
    counts: manifest.totals,
    warnings: stats.flatMap((s) => s.warnings),
  });
  // The export has succeeded: staged work that cannot be removed now expires with its lifecycle
  // rule (and goes with a DELETE of the export), it does not turn the export into a failure.
  await deletePrefix(deps.s3, deps.exportBucket, workKeys.root(record.id)).catch(() => undefined);
  return finished;
}
