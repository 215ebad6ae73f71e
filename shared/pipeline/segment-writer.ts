import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ByteMeasure,
  bufferSmall,
  createSegment,
  encodeSegmentIndex,
  fetchAhead,
  type SegmentIndex,
  type SegmentOptions,
  type ZipSegment,
} from '../archive';
import { putStream, putText } from '../aws/s3';
import { workKeys, type PipelineDeps, type SegmentSummary } from './work';

/** A file copied from the store into the archive: `{ path in the archive, store key }`. */
export interface SourceEntry {
  path: string;
  key: string;
}

/** Store objects fetched ahead of the zip writer so that S3 latency does not serialise a segment. */
const FETCH_AHEAD = 8;
/** Store objects up to this size are downloaded whole while fetched ahead; larger ones stream. */
export const SMALL_SOURCE_BYTES = 4 * 1024 * 1024;
/**
 * A segment goes up as a multipart upload of S3's smallest parts, three in flight: its buffers are
 * the largest fixed cost of a shard's memory, reached by any segment past 20 MiB.
 */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_QUEUE = 3;

/**
 * Appends entries to a segment one at a time (the segment writes them in order). Store objects
 * are copied in order while up to FETCH_AHEAD of the next ones are being fetched (small ones
 * downloaded whole), so that S3's latency overlaps with writing the zip, and at most the
 * fetched-ahead sources are open at once.
 */
export class SegmentEntries {
  constructor(private readonly segment: ZipSegment) {}

  async add(path: string, body: Readable | string | Uint8Array): Promise<string> {
    if (body instanceof Readable || typeof body === 'string')
      return this.segment.append(path, body);
    return this.segment.append(path, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }

  async addSources(
    sources: Iterable<SourceEntry> | AsyncIterable<SourceEntry>,
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

/**
 * Writes a segment with `fill` while it streams to `sink`: a failure on either side stops the
 * other (a failed sink no longer drains the segment, whose appends would wait for ever; a failed
 * fill must not let the sink finish). Resolves with the segment's index once both are done.
 */
export async function streamSegment(
  options: SegmentOptions,
  sink: (bytes: Readable) => Promise<void>,
  fill: (entries: SegmentEntries) => Promise<void>,
): Promise<SegmentIndex> {
  const segment = createSegment(options);
  const sunk = sink(segment.stream);
  sunk.catch((error: Error) => segment.abort(error));
  const filled = (async () => {
    await fill(new SegmentEntries(segment));
    return segment.finish();
  })();
  filled.catch((error: Error) => segment.abort(error));
  const [index] = await Promise.all([filled, sunk]);
  return index;
}

/**
 * A shard's segment, `work/{exportId}/segments/{shard}.zip`, streamed into the export bucket with
 * flat memory, and its index beside it; a retry of the shard writes both again.
 */
export async function writeShardSegment(
  deps: PipelineDeps,
  where: { exportId: string; shard: number },
  options: SegmentOptions,
  fill: (entries: SegmentEntries) => Promise<void>,
): Promise<SegmentSummary> {
  const measure = new ByteMeasure({ crc: true });
  const key = workKeys.segment(where.exportId, where.shard);
  const index = await streamSegment(
    options,
    async (bytes) => {
      const uploaded = putStream(deps.s3, deps.exportBucket, key, measure, 'application/zip', {
        partSize: UPLOAD_PART_BYTES,
        queueSize: UPLOAD_QUEUE,
      });
      await Promise.all([pipeline(bytes, measure), uploaded]);
    },
    fill,
  );
  await putText(
    deps.s3,
    deps.exportBucket,
    workKeys.segmentIndex(where.exportId, where.shard),
    // One shard's index: a few hundred bytes an entry.
    [...encodeSegmentIndex(index)].join(''),
    'application/x-ndjson',
  );
  return { bytes: measure.bytes, crc32: measure.crc, entries: index.entries.length };
}
