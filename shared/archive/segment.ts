/**
 * A zip segment: the entries of one part of an export exactly as createArchive writes them
 * (local file header, data, data descriptor), and nothing else. A zip entry's bytes do not depend
 * on where it sits and WinZip AES keys are per entry, so segments written apart and concatenated,
 * followed by the central directory of all their entries (`centralDirectory` over
 * `placeSegments`), are the zip createArchive would have written for the same entries.
 */
import type { Readable } from 'node:stream';
import { openArchiver, type AppendOptions, type ArchiveOptions } from './archive';
import type { SegmentEntry, SegmentIndex } from './segment-index';

/** A whole archive's options but `forceZip64`, which only the central directory's end obeys. */
export type SegmentOptions = Omit<ArchiveOptions, 'forceZip64'>;

export interface ZipSegment {
  /** The segment's bytes. Read it (pipe it into the upload): appends wait while it is not drained. */
  readonly stream: Readable;
  /** Adds an entry; resolves with the name the zip holds once it is written into `stream`. */
  append(name: string, body: Readable | Buffer | string, options?: AppendOptions): Promise<string>;
  /** Ends the segment; resolves with its index once the last byte has been written into `stream`. */
  finish(): Promise<SegmentIndex>;
  /** Stops on failure: pending appends reject, `stream` is destroyed. */
  abort(error: Error): void;
}

export function createSegment(options: SegmentOptions = {}): ZipSegment {
  const entries: SegmentEntry[] = [];
  let bytes: number | null = null;
  const archive = openArchiver(
    {
      password: options.password,
      encryption: options.encryption,
      level: options.level,
      segment: {
        entry: (entry) => entries.push(entry),
        end: (length) => (bytes = length),
      },
    },
    options.date,
  );
  return {
    stream: archive.stream,
    append: (name, body, appendOptions) => archive.append(name, body, appendOptions),
    async finish() {
      await archive.finalize();
      if (bytes === null) throw new Error('the zip segment ended before it was finished');
      return { bytes, entries };
    },
    abort: (error) => archive.abort(error),
  };
}
