/**
 * Which bytes of the stitched zip go into which part of its S3 multipart upload. Pure
 * arithmetic over the segments' sizes: the S3 calls are the stitcher's.
 */
import { ExportError } from '../errors';

/** S3's multipart limits: every part but the last at least 5 MiB, at most 5 GiB, 10,000 parts. */
export const S3_PART_LIMITS = {
  minBytes: 5 * 1024 * 1024,
  maxBytes: 5 * 1024 * 1024 * 1024,
  maxParts: 10_000,
} as const;

/** Bytes `start` (inclusive) to `end` (exclusive) of segment number `segment` (its list index). */
export interface SegmentPiece {
  segment: number;
  start: number;
  end: number;
}

/**
 * `copy`: the piece is the part, copied by S3 itself (UploadPartCopy with `byteRange`), no byte
 * through the stitcher. `join`: the part is the pieces' bytes one after another, which the
 * stitcher downloads (GetObject with `byteRange`) and uploads (UploadPart).
 */
export type PlannedPart =
  | { partNumber: number; kind: 'copy'; piece: SegmentPiece; bytes: number }
  | { partNumber: number; kind: 'join'; pieces: SegmentPiece[]; bytes: number };

export interface UploadPlan {
  /** The segments' parts, numbered from 1, in the zip's order. */
  parts: PlannedPart[];
  /**
   * The last part: `pieces` (the segments at the end too small to be a part of their own, which
   * pass through the stitcher), then the stitcher's own entries and the central directory. It
   * may be uploaded as several parts, numbered from `partNumber` up to `maxParts`, each but the
   * last of at least `minBytes`.
   */
  tail: { partNumber: number; pieces: SegmentPiece[]; bytes: number };
  /** Segments some or all of whose bytes pass through the stitcher (joined parts, the tail). */
  downloads: number[];
  /** How many bytes pass through the stitcher, the tail's own bytes not counted. */
  downloadBytes: number;
  /** All the segments' bytes: where the stitcher's own entries start in the zip. */
  segmentBytes: number;
}

/**
 * Groups the segments, in order, into parts. A segment of at least `minBytes` is copied whole by
 * S3 (in ranges of at most `maxBytes` if it is larger); consecutive smaller ones are joined into
 * one part of at least `minBytes`, and their bytes pass through the stitcher. A run of small
 * segments that does not reach `minBytes` before a large one borrows the large one's first bytes
 * (so at most `minBytes` of the large one pass through), and one at the end goes into the tail.
 * Empty segments take no part. Throws an ExportError when the parts would pass `maxParts`.
 */
export function planUploadParts(segmentSizes: readonly number[]): UploadPlan {
  const limits = S3_PART_LIMITS;
  const parts: PlannedPart[] = [];
  let joining: SegmentPiece[] = [];
  const copy = (piece: SegmentPiece) => {
    for (const range of splitRange(piece, limits.maxBytes)) {
      parts.push({
        partNumber: parts.length + 1,
        kind: 'copy',
        piece: range,
        bytes: length(range),
      });
    }
  };
  const join = (piece: SegmentPiece) => {
    joining.push(piece);
    const bytes = total(joining);
    if (bytes < limits.minBytes) return;
    parts.push({ partNumber: parts.length + 1, kind: 'join', pieces: joining, bytes });
    joining = [];
  };
  segmentSizes.forEach((size, segment) => {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new Error(`segment ${segment} has no valid size: ${size}`);
    }
    if (size === 0) return;
    const whole = { segment, start: 0, end: size };
    if (size < limits.minBytes) return join(whole);
    if (joining.length === 0) return copy(whole);
    const borrowed = limits.minBytes - total(joining);
    // The rest of the segment must still make a part of its own; else it is joined whole.
    if (size - borrowed < limits.minBytes) return join(whole);
    join({ segment, start: 0, end: borrowed });
    copy({ segment, start: borrowed, end: size });
  });
  const tail = { partNumber: parts.length + 1, pieces: joining, bytes: total(joining) };
  if (tail.partNumber > limits.maxParts) {
    throw new ExportError(
      `This export's archive needs ${tail.partNumber} upload parts, more than the ` +
        `${limits.maxParts} S3 allows: export fewer items at once.`,
    );
  }
  return { parts, tail, ...throughStitcher(parts, tail.pieces), segmentBytes: sum(segmentSizes) };
}

/** The HTTP range of a piece, as UploadPartCopy's CopySourceRange and GetObject's Range take it. */
export function byteRange(piece: SegmentPiece): string {
  return `bytes=${piece.start}-${piece.end - 1}`;
}

/** A piece cut into the fewest ranges of at most `maxBytes`, of near-equal sizes. */
function splitRange(piece: SegmentPiece, maxBytes: number): SegmentPiece[] {
  const count = Math.ceil(length(piece) / maxBytes);
  const ranges: SegmentPiece[] = [];
  for (let i = 0; i < count; i++) {
    ranges.push({
      segment: piece.segment,
      start: piece.start + Math.floor((length(piece) * i) / count),
      end: piece.start + Math.floor((length(piece) * (i + 1)) / count),
    });
  }
  return ranges;
}

function throughStitcher(parts: PlannedPart[], tail: SegmentPiece[]) {
  const pieces = [...parts.flatMap((part) => (part.kind === 'join' ? part.pieces : [])), ...tail];
  return {
    downloads: [...new Set(pieces.map((piece) => piece.segment))],
    downloadBytes: total(pieces),
  };
}

function length(piece: SegmentPiece): number {
  return piece.end - piece.start;
}

function total(pieces: SegmentPiece[]): number {
  return sum(pieces.map(length));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
