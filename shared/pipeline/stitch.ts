import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteMeasure, planUploadParts, type PlannedPart, type SegmentPiece } from '../archive';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  uploadPart,
  uploadPartCopy,
  type MultipartUpload,
  type UploadedPart,
} from '../aws/multipart';
import { getStream, getTextIfExists, putText } from '../aws/s3';
import { Crc32Concat } from './crc32';
import { PartStream } from './part-stream';
import { workKeys, type PipelineDeps } from './work';

/**
 * Part copies and joins in flight at once. S3 copies a part itself and the function only waits,
 * so many may run; a joined part (at most 10 MiB) is held while it uploads.
 */
const PART_CONCURRENCY = 16;
/** The streamed end of the archive goes up in parts of this size, three in flight. */
const TAIL_PART_BYTES = 8 * 1024 * 1024;

/** A shard's segment as the stitch needs it: its object, its size and its CRC-32. */
export interface StitchSegment {
  key: string;
  bytes: number;
  crc32: number;
}

/**
 * Writes the end of the archive into `out`, which starts `start` bytes into the archive: the
 * stitcher's own entries and the central directory. Resolves with the number of entries of the
 * whole archive once everything is written (it does not end `out`).
 */
export type TailWriter = (out: Writable, start: number) => Promise<{ entries: number }>;

export interface StitchedArchive {
  bytes: number;
  /** The whole archive's CRC-32, eight hex digits, combined from its pieces'. */
  crc32: string;
  entries: number;
  /** Bytes that passed through the function: joined small segments and the end it wrote. */
  passedThrough: number;
}

/**
 * The archive's multipart upload, created and written down under the export's work folder, so
 * that a stage which finds the export failed can abort an upload whose writer died.
 */
export async function beginArchiveUpload(
  deps: PipelineDeps,
  exportId: string,
  key: string,
): Promise<MultipartUpload> {
  const upload = await createMultipartUpload(deps.s3, deps.exportBucket, key, 'application/zip');
  await putText(
    deps.s3,
    deps.exportBucket,
    workKeys.archiveUpload(exportId),
    JSON.stringify(upload),
  );
  return upload;
}

/** Aborts the archive upload begun for an export, if one was (its parts are then dropped). */
export async function abortArchiveUpload(deps: PipelineDeps, exportId: string): Promise<void> {
  const text = await getTextIfExists(deps.s3, deps.exportBucket, workKeys.archiveUpload(exportId));
  if (text) await abortMultipartUpload(deps.s3, JSON.parse(text) as MultipartUpload);
}

/**
 * Stitches the archive into `upload`: every segment, in order, becomes parts copied by S3
 * (UploadPartCopy, no byte through the function) or, for segments too small to be a part,
 * joined parts; then `writeTail` streams the end as the last parts. Completes the upload. On a
 * failure the upload is aborted at once, so that the parts still under way fail fast.
 */
export async function stitchArchive(
  deps: PipelineDeps,
  upload: MultipartUpload,
  segments: StitchSegment[],
  writeTail: TailWriter,
): Promise<StitchedArchive> {
  const plan = planUploadParts(segments.map((s) => s.bytes));
  const [copied, tail] = await allOrAbort(
    [
      inPool(plan.parts, PART_CONCURRENCY, (part) => makePart(deps, upload, segments, part)),
      streamTail(deps, upload, segments, plan.tail, (out) => writeTail(out, plan.segmentBytes)),
    ],
    () => abortMultipartUpload(deps.s3, upload),
  );
  await completeMultipartUpload(deps.s3, upload, [...copied, ...tail.parts]);
  const crc = new Crc32Concat();
  for (const segment of segments) crc.append(segment.crc32, segment.bytes);
  crc.append(tail.crc, tail.bytes);
  return {
    bytes: crc.bytes,
    crc32: crc.hex(),
    entries: tail.entries,
    passedThrough: plan.downloadBytes + tail.bytes,
  };
}

/** One planned part: a range of a segment copied by S3, or small pieces read and uploaded. */
async function makePart(
  deps: PipelineDeps,
  upload: MultipartUpload,
  segments: StitchSegment[],
  part: PlannedPart,
): Promise<UploadedPart> {
  if (part.kind === 'copy') {
    const { segment, start, end } = part.piece;
    return uploadPartCopy(deps.s3, upload, part.partNumber, {
      bucket: deps.exportBucket,
      key: segments[segment]!.key,
      range: { start, end: end - 1 },
    });
  }
  const chunks: Buffer[] = [];
  for (const piece of part.pieces)
    for await (const chunk of await readPiece(deps, segments, piece)) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (body.length !== part.bytes)
    throw new Error(`part ${part.partNumber} holds ${body.length} bytes, not ${part.bytes}`);
  return uploadPart(deps.s3, upload, part.partNumber, body);
}

function readPiece(deps: PipelineDeps, segments: StitchSegment[], piece: SegmentPiece) {
  return getStream(deps.s3, deps.exportBucket, segments[piece.segment]!.key, {
    start: piece.start,
    end: piece.end - 1,
  });
}

/**
 * The last parts: the small segments at the end (read through), then what `write` writes,
 * whose CRC-32 and length are taken on the way.
 */
async function streamTail(
  deps: PipelineDeps,
  upload: MultipartUpload,
  segments: StitchSegment[],
  tail: { partNumber: number; pieces: SegmentPiece[] },
  write: (out: Writable) => Promise<{ entries: number }>,
): Promise<{ parts: UploadedPart[]; crc: number; bytes: number; entries: number }> {
  const parts = new PartStream(
    (partNumber, body) => uploadPart(deps.s3, upload, partNumber, body),
    tail.partNumber,
    TAIL_PART_BYTES,
  );
  const own = new ByteMeasure({ crc: true });
  // pipeline, not pipe: a failed part upload also fails the writes into `own`, and the other way
  // round. Nothing is written into `own` before the small segments have gone into `parts`.
  const sent = pipeline(own, parts);
  sent.catch(() => undefined);
  try {
    for (const piece of tail.pieces) await copyInto(await readPiece(deps, segments, piece), parts);
    const { entries } = await write(own);
    own.end();
    await sent;
    return { parts: parts.parts, crc: own.crc, bytes: own.bytes, entries };
  } catch (error) {
    own.destroy(error as Error);
    await sent.catch(() => undefined);
    throw error;
  }
}

/**
 * Writes every chunk of `source` into `out`, waiting while `out` is full, and fails when `out`
 * does (pipeline with `end: false` would leave listeners on `out` for every source).
 */
async function copyInto(source: AsyncIterable<Buffer>, out: Writable): Promise<void> {
  for await (const chunk of source) {
    if (out.destroyed) throw out.errored ?? new Error('the archive upload stopped');
    if (!out.write(chunk)) await drained(out);
  }
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error | null) => {
      out.off('drain', onDrain).off('error', settle).off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(out.errored ?? new Error('the archive upload stopped'));
    out.on('drain', onDrain).on('error', settle).on('close', onClose);
  });
}

/** Runs `work` over `items` with at most `concurrency` at once; the results in the items' order. */
async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const at = next++;
      results[at] = await work(items[at]!).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * Waits for every job; on the first failure calls `onFailure` once (without waiting), then
 * throws that failure once every job has settled, so that nothing still runs behind the caller.
 */
async function allOrAbort<A, B>(
  jobs: [Promise<A>, Promise<B>],
  onFailure: () => Promise<void>,
): Promise<[A, B]> {
  let first: { error: unknown } | undefined;
  const watched = jobs.map((job) =>
    job.catch((error: unknown) => {
      if (!first) {
        first = { error };
        onFailure().catch(() => undefined);
      }
      throw error;
    }),
  );
  const settled = await Promise.allSettled(watched);
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [A, B];
}
