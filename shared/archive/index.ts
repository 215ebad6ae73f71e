/**
 * The export archive (DESIGN §10): one zip streamed whole (`createArchive`), or written in
 * segments by the shards and stitched (`createSegment`, `placeSegments`, `centralDirectory`,
 * `planUploadParts`).
 */
export {
  createArchive,
  isCompressedMedia,
  type AppendOptions,
  type ArchiveOptions,
  type ZipArchive,
} from './archive';
export { ByteMeasure, ENCRYPTIONS, type Encryption } from './zip-writer';
export { createDigestStream, type DigestStream } from './digest';
export { bufferSmall, fetchAhead, type FetchAheadOptions } from './fetch-ahead';
export {
  centralDirectory,
  needsZip64,
  type CentralDirectoryOptions,
  type ZipEntryRecord,
} from './central-directory';
export { createSegment, type SegmentOptions, type ZipSegment } from './segment';
export {
  encodeSegmentIndex,
  placeSegments,
  readSegmentIndex,
  relocateEntries,
  type SegmentEntry,
  type SegmentIndex,
  type SegmentIndexReader,
} from './segment-index';
export {
  S3_PART_LIMITS,
  byteRange,
  planUploadParts,
  type PlannedPart,
  type SegmentPiece,
  type UploadPlan,
} from './part-plan';
