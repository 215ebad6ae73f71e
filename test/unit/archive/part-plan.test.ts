import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  S3_PART_LIMITS,
  byteRange,
  planUploadParts,
  type SegmentPiece,
  type UploadPlan,
} from '../../../shared/archive';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const { minBytes, maxBytes, maxParts } = S3_PART_LIMITS;

/** Every piece of the plan in upload order: the parts', then the tail's leading ones. */
function piecesInOrder(plan: UploadPlan): SegmentPiece[] {
  return [
    ...plan.parts.flatMap((part) => (part.kind === 'copy' ? [part.piece] : part.pieces)),
    ...plan.tail.pieces,
  ];
}

describe('planUploadParts', () => {
  it('plans an empty export as its tail alone', () => {
    expect(planUploadParts([])).toEqual({
      parts: [],
      tail: { partNumber: 1, pieces: [], bytes: 0 },
      downloads: [],
      downloadBytes: 0,
      segmentBytes: 0,
    });
    // Shards whose segments hold nothing take no part either.
    expect(planUploadParts([0, 0]).parts).toEqual([]);
  });

  it('copies each segment of 5 MiB or more whole, no byte through the stitcher', () => {
    const plan = planUploadParts([minBytes, 100 * MiB, 0, 7 * MiB]);
    expect(plan.parts).toEqual([
      {
        partNumber: 1,
        kind: 'copy',
        piece: { segment: 0, start: 0, end: minBytes },
        bytes: minBytes,
      },
      {
        partNumber: 2,
        kind: 'copy',
        piece: { segment: 1, start: 0, end: 100 * MiB },
        bytes: 100 * MiB,
      },
      {
        partNumber: 3,
        kind: 'copy',
        piece: { segment: 3, start: 0, end: 7 * MiB },
        bytes: 7 * MiB,
      },
    ]);
    expect(plan.tail).toEqual({ partNumber: 4, pieces: [], bytes: 0 });
    expect([plan.downloads, plan.downloadBytes]).toEqual([[], 0]);
    expect(plan.segmentBytes).toBe(112 * MiB);
  });

  it('joins small segments into parts of at least 5 MiB and leaves the rest to the tail', () => {
    const plan = planUploadParts(Array.from({ length: 12 }, () => MiB));
    expect(plan.parts.map((p) => [p.kind, p.bytes])).toEqual([
      ['join', 5 * MiB],
      ['join', 5 * MiB],
    ]);
    expect(plan.parts[1]).toMatchObject({
      kind: 'join',
      pieces: [5, 6, 7, 8, 9].map((segment) => ({ segment, start: 0, end: MiB })),
    });
    expect(plan.tail).toEqual({
      partNumber: 3,
      pieces: [10, 11].map((segment) => ({ segment, start: 0, end: MiB })),
      bytes: 2 * MiB,
    });
    // Every byte of small segments passes through the stitcher.
    expect(plan.downloads).toEqual([...Array(12).keys()]);
    expect(plan.downloadBytes).toBe(12 * MiB);
  });

  it("completes a short run of small segments with the next large one's first bytes", () => {
    const plan = planUploadParts([MiB, 2 * MiB, 100 * MiB]);
    expect(plan.parts).toEqual([
      {
        partNumber: 1,
        kind: 'join',
        pieces: [
          { segment: 0, start: 0, end: MiB },
          { segment: 1, start: 0, end: 2 * MiB },
          { segment: 2, start: 0, end: 2 * MiB },
        ],
        bytes: minBytes,
      },
      {
        partNumber: 2,
        kind: 'copy',
        piece: { segment: 2, start: 2 * MiB, end: 100 * MiB },
        bytes: 98 * MiB,
      },
    ]);
    expect([plan.downloads, plan.downloadBytes]).toEqual([[0, 1, 2], minBytes]);
    // A large segment whose rest would be too small to be a part is joined whole.
    expect(planUploadParts([MiB, 8 * MiB]).parts).toEqual([
      {
        partNumber: 1,
        kind: 'join',
        pieces: [
          { segment: 0, start: 0, end: MiB },
          { segment: 1, start: 0, end: 8 * MiB },
        ],
        bytes: 9 * MiB,
      },
    ]);
  });

  it('copies a segment larger than 5 GiB in byte ranges of at most 5 GiB', () => {
    const size = 12 * GiB + 3;
    const plan = planUploadParts([size]);
    expect(plan.parts.map((p) => p.kind)).toEqual(['copy', 'copy', 'copy']);
    const ranges = plan.parts.map((p) => (p.kind === 'copy' ? p.piece : null)!);
    expect(ranges.map((r) => [r.start, r.end])).toEqual([
      [0, 4 * GiB + 1],
      [4 * GiB + 1, 8 * GiB + 2],
      [8 * GiB + 2, size],
    ]);
    expect(byteRange(ranges[2]!)).toBe(`bytes=${8 * GiB + 2}-${size - 1}`);
    expect(plan.downloadBytes).toBe(0);
    expect(plan.tail.partNumber).toBe(4);
  });

  it('refuses, saying so, an archive that would need more than 10,000 parts', () => {
    const fits = planUploadParts(Array.from({ length: maxParts - 1 }, () => 6 * MiB));
    expect(fits.tail.partNumber).toBe(maxParts);
    let error: unknown;
    try {
      planUploadParts(Array.from({ length: maxParts }, () => 6 * MiB));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      name: 'ExportError',
      message: expect.stringContaining('needs 10001 upload parts, more than the 10000 S3 allows'),
    });
  });

  it('rejects a size that is not a byte count', () => {
    expect(() => planUploadParts([MiB, -1])).toThrow('segment 1 has no valid size: -1');
    expect(() => planUploadParts([0.5])).toThrow('segment 0');
  });

  it('covers every byte of every segment once, in order, with parts S3 accepts', () => {
    const size = fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: minBytes - 1 }),
      fc.integer({ min: minBytes, max: 3 * minBytes }),
      fc.integer({ min: maxBytes - MiB, max: 3 * maxBytes }),
    );
    fc.assert(
      fc.property(fc.array(size, { maxLength: 40 }), (sizes) => {
        const plan = planUploadParts(sizes);
        // The pieces, laid end to end, are the segments laid end to end.
        let segment = 0;
        let at = 0;
        for (const piece of piecesInOrder(plan)) {
          while (sizes[segment] === at) [segment, at] = [segment + 1, 0];
          expect([piece.segment, piece.start]).toEqual([segment, at]);
          expect(piece.end).toBeGreaterThan(piece.start);
          at = piece.end;
        }
        while (segment < sizes.length && sizes[segment] === at) [segment, at] = [segment + 1, 0];
        expect(segment).toBe(sizes.length);

        expect(plan.parts.map((p) => p.partNumber)).toEqual(plan.parts.map((_, i) => i + 1));
        expect(plan.tail.partNumber).toBe(plan.parts.length + 1);
        for (const part of plan.parts) {
          expect(part.bytes).toBeGreaterThanOrEqual(minBytes);
          expect(part.bytes).toBeLessThanOrEqual(maxBytes);
        }
        expect(plan.tail.bytes).toBeLessThan(minBytes);
        // Only small segments pass through whole; of a large one at most what a run lacked.
        const small = sizes.filter((s) => s > 0 && s < minBytes);
        const runs = sizes.filter(
          (s, i) => s > 0 && s < minBytes && !(sizes[i - 1]! > 0 && sizes[i - 1]! < minBytes),
        ).length;
        expect(plan.downloadBytes).toBeLessThanOrEqual(
          small.reduce((a, b) => a + b, 0) + runs * 2 * minBytes,
        );
        expect(plan.segmentBytes).toBe(sizes.reduce((a, b) => a + b, 0));
      }),
      { numRuns: 300 },
    );
  });
});
