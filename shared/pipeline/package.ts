import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  bufferSmall,
  createArchive,
  createDigestStream,
  fetchAhead,
  type ZipArchive,
} from '../archive';
import {
  deleteKey,
  deletePrefix,
  getBytes,
  getStream,
  getText,
  listKeys,
  putStream,
  readLines,
} from '../aws/s3';
import { NotFoundError } from '../errors';
import { removeStagedAndArchive } from '../exports/cancel';
import { RecordStore, recordKeys, type ExportRecord } from '../exports/record';
import { findFormat } from '../formats/index';
import type { FormatContext, MergeRule, Part } from '../formats/types';
import { safeName } from '../names';
import { decodeBundle } from './bundle';
import { buildManifest } from './manifest';
import { readPlan } from './plan';
import type { SourceEntry } from './render';
import {
  subsetPrefix,
  workKeys,
  type ExportRef,
  type PipelineDeps,
  type Plan,
  type ShardStats,
} from './work';

/** Source objects fetched ahead of the zip writer so that S3 latency does not serialise the archive. */
const FETCH_AHEAD = 8;
/**
 * The archive's multipart upload: S3's smallest part, three in flight. Its buffers are the largest
 * fixed cost of package's memory, reached by any archive past 20 MiB.
 */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_QUEUE = 3;
/** Source objects up to this size are downloaded whole while fetched ahead; larger ones stream. */
export const SMALL_SOURCE_BYTES = 4 * 1024 * 1024;

interface ArchiveEntry {
  path: string;
  sha256: string;
}

/**
 * Package (DESIGN §11): merges the shards' per-dataset parts, streams parts and source media into
 * the zip and the zip into a multipart upload, adds manifest.json and checksums.sha256, removes
 * the password, records SUCCEEDED and removes the staged work.
 */
export async function packageExport(deps: PipelineDeps, ref: ExportRef): Promise<ExportRecord> {
  const records = new RecordStore(deps.s3, deps.exportBucket);
  const record = await records.get(ref.projectId, ref.exportId);
  // A retry of a package that succeeded (its answer lost on the way back) has nothing to do.
  if (record.status === 'SUCCEEDED') return record;
  const plan = await readPlan(deps, ref.exportId);
  const archiveKey = recordKeys.archive(ref.projectId, ref.exportId, safeName(record.name));

  const archive = createArchive({
    password: record.encryption ? await readPassword(deps, ref.exportId) : undefined,
    encryption: record.encryption ?? undefined,
    // Entry times from the export's creation: the same export gives the same bytes.
    date: new Date(plan.createdAt),
  });
  const digest = createDigestStream();
  // A failure on either side stops the other: a failed upload no longer drains the archive (its
  // appends would wait forever), a failed archive must not complete the upload.
  pipeline(archive.stream, digest).catch(() => undefined);
  const uploaded = putStream(deps.s3, deps.exportBucket, archiveKey, digest, 'application/zip', {
    partSize: UPLOAD_PART_BYTES,
    queueSize: UPLOAD_QUEUE,
  });
  uploaded.catch((error: Error) => archive.abort(error));
  const writer = new EntryWriter(archive);

  const work = (async () => {
    const stats = await readStats(deps, plan);
    const format = plan.format ? findFormat(plan.format) : undefined;
    const merges = new Map<
      string,
      { rule: MergeRule; keys: Array<{ shard: number; key: string }>; context: FormatContext }
    >();
    for (const shard of plan.shards) {
      await writer.addSources(sourcesOf(deps, plan.exportId, shard.index), (key) =>
        getStream(deps.s3, deps.dataBucket, key),
      );
      const bundles = workKeys.bundles(plan.exportId, shard.index);
      for await (const { key } of listKeys(deps.s3, deps.exportBucket, bundles)) {
        const bundle = await getBytes(deps.s3, deps.exportBucket, key);
        for (const file of decodeBundle(bundle)) await writer.add(file.path, file.body);
      }
      const partsPrefix = workKeys.shardParts(plan.exportId, shard.index);
      const { dataset, folder } = plan.datasets.find((d) => d.dataset.id === shard.datasetId)!;
      const annotationsRoot = `${subsetPrefix(shard.subset)}annotations/${folder}/`;
      for await (const { key } of listKeys(deps.s3, deps.exportBucket, partsPrefix)) {
        const path = key.slice(partsPrefix.length);
        const rule = format?.merges.find((m) =>
          m.root
            ? m.matches(path)
            : path.startsWith(annotationsRoot) && m.matches(path.slice(annotationsRoot.length)),
        );
        if (!rule || !plan.task) throw new Error(`staged part ${path} has no merge rule`);
        const group = merges.get(path) ?? {
          rule,
          keys: [],
          context: {
            exportName: plan.exportName,
            createdAt: plan.createdAt,
            task: plan.task,
            dataset,
          },
        };
        group.keys.push({ shard: shard.index, key });
        merges.set(path, group);
      }
    }
    for (const [path, group] of merges) {
      const parts = async function* (): AsyncIterable<Part> {
        for (const { shard, key } of group.keys)
          yield { shard, body: await getText(deps.s3, deps.exportBucket, key) };
      };
      await writer.add(path, Readable.from(group.rule.merge(parts, group.context)));
    }
    const manifest = buildManifest(plan, record, stats);
    await writer.add('manifest.json', JSON.stringify(manifest, null, 2));
    await archive.append('checksums.sha256', writer.checksums());
    await archive.finalize();
    return { manifest, stats };
  })();
  work.catch((error: Error) => archive.abort(error));

  const [{ manifest, stats }] = await Promise.all([work, uploaded]);
  // The password goes before the record says SUCCEEDED: once it does, none may be left at rest
  // whatever happens next (DESIGN §15). A retry after this point finds no password and fails.
  await deleteKey(deps.s3, deps.exportBucket, recordKeys.secret(ref.exportId));
  // A cancel while the archive was written wins: a cancelled export never offers an archive.
  const latest = await records.get(ref.projectId, ref.exportId);
  if (latest.status === 'CANCELLED') {
    await removeStagedAndArchive(deps, latest);
    return latest;
  }
  const finished = await records.update(ref.projectId, ref.exportId, {
    status: 'SUCCEEDED',
    finished_at: new Date().toISOString(),
    progress: { done: plan.shards.length, total: plan.shards.length },
    archive: {
      key: archiveKey,
      bytes: digest.bytes,
      sha256: digest.sha256(),
      files: writer.entries.length + 1,
    },
    counts: manifest.totals,
    warnings: stats.flatMap((s) => s.warnings),
  });
  // The export has succeeded: staged work that cannot be removed now expires with its lifecycle
  // rule (and goes with a DELETE of the export), it does not turn the export into a failure.
  await deletePrefix(deps.s3, deps.exportBucket, workKeys.root(ref.exportId)).catch(
    () => undefined,
  );
  return finished;
}

/**
 * Appends entries one at a time (archiver writes them in order) while hashing each for
 * checksums.sha256; the next entry is appended only once the previous one is written, so at most
 * the fetched-ahead sources are open at once. Each entry is remembered under the name the zip
 * holds, which the archive layer may have rewritten, so that `sha256sum -c` finds every file.
 */
export class EntryWriter {
  readonly entries: ArchiveEntry[] = [];

  constructor(private readonly archive: ZipArchive) {}

  async add(path: string, body: Readable | string | Uint8Array): Promise<void> {
    if (!(body instanceof Readable)) {
      const bytes =
        typeof body === 'string'
          ? Buffer.from(body, 'utf8')
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      this.entries.push({ path: await this.archive.append(path, bytes), sha256 });
      return;
    }
    const hash = createHash('sha256');
    const hashed = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    body.once('error', (error) => hashed.destroy(error));
    body.pipe(hashed);
    const written = await this.archive.append(path, hashed);
    this.entries.push({ path: written, sha256: hash.digest('hex') });
  }

  /** checksums.sha256: `{sha256}  {name}` per entry, as `sha256sum` writes and checks them. */
  checksums(): string {
    return this.entries.map((e) => `${e.sha256}  ${e.path}\n`).join('');
  }

  /**
   * Copies store objects in order while up to FETCH_AHEAD of the next ones are being fetched
   * (small ones downloaded whole), so that S3's latency overlaps with writing the zip.
   */
  async addSources(
    sources: AsyncIterable<SourceEntry>,
    open: (key: string) => Promise<Readable>,
  ): Promise<void> {
    const opened = fetchAhead(
      sources,
      async (source) => ({
        path: source.path,
        body: await bufferSmall(await open(source.key), SMALL_SOURCE_BYTES),
      }),
      {
        concurrency: FETCH_AHEAD,
        discard: ({ body }) => {
          if (body instanceof Readable) body.destroy();
        },
      },
    );
    for await (const { path, body } of opened) await this.add(path, body);
  }
}

/** The password the starter put apart (DESIGN §15); package deletes it once the archive exists. */
async function readPassword(deps: PipelineDeps, exportId: string): Promise<string> {
  try {
    return await getText(deps.s3, deps.exportBucket, recordKeys.secret(exportId));
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`the password of export ${exportId} is no longer available`, {
        cause: error,
      });
    throw error;
  }
}

async function* sourcesOf(
  deps: PipelineDeps,
  exportId: string,
  shard: number,
): AsyncIterable<SourceEntry> {
  const stream = await getStream(deps.s3, deps.exportBucket, workKeys.sources(exportId, shard));
  for await (const { line } of readLines(stream)) if (line) yield JSON.parse(line) as SourceEntry;
}

async function readStats(deps: PipelineDeps, plan: Plan): Promise<ShardStats[]> {
  const stats: ShardStats[] = [];
  for (const shard of plan.shards) {
    stats.push(
      JSON.parse(
        await getText(deps.s3, deps.exportBucket, workKeys.stats(plan.exportId, shard.index)),
      ) as ShardStats,
    );
  }
  return stats;
}
