/**
 * The export archive (DESIGN §10): a zip written by archiver as a stream, plain or
 * password-protected (AES-256 by default, ZipCrypto where asked), already-compressed media
 * stored and everything else deflated.
 */
import archiver from 'archiver';
import type { Readable } from 'node:stream';
import { registerZipFormat, type Encryption, type ZipWriterOptions } from './zip-writer';

export interface ArchiveOptions {
  /** 1-128 printable characters; none for a plain zip. */
  password?: string;
  encryption?: Encryption;
  /** Time stamp of every entry (the export's creation time keeps archives reproducible). */
  date?: Date;
  /** Deflate level of entries that are not stored (default 6). */
  level?: number;
  forceZip64?: boolean;
}

export interface AppendOptions {
  /** Store without compression; by default decided from the name (see `isCompressedMedia`). */
  store?: boolean;
}

export interface ZipArchive {
  /** The zip's bytes. Read it (pipe it into the upload): appends wait while it is not drained. */
  readonly stream: Readable;
  /**
   * Adds an entry; resolves once the entry is written into `stream` with the name the zip holds
   * (the archive layer rewrites some: `a\\b` becomes `a/b`), rejects if it fails.
   */
  append(name: string, body: Readable | Buffer | string, options?: AppendOptions): Promise<string>;
  /** Writes the central directory; resolves when the last byte has been written into `stream`. */
  finalize(): Promise<void>;
  /** Stops on failure: pending appends reject, `stream` is destroyed. */
  abort(error: Error): void;
}

/** Formats whose bytes are already compressed: deflating them again only costs time. */
const COMPRESSED_EXTENSIONS = new Set([
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'gif', 'avif', 'heic', 'heif', 'jp2', 'jxl',
  'mp4', 'm4v', 'mov', 'avi', 'mkv', 'webm', 'mpg', 'mpeg', 'mp3', 'aac', 'ogg', 'flac',
  'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'npz',
]); // prettier-ignore

export function isCompressedMedia(name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot < name.lastIndexOf('/')) return false;
  return COMPRESSED_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

export function createArchive(options: ArchiveOptions = {}): ZipArchive {
  return openArchiver(
    {
      password: options.password,
      encryption: options.encryption,
      level: options.level,
      forceZip64: options.forceZip64,
    },
    options.date,
  );
}

/**
 * archiver driving the zip writer, whole archives and segments alike, so that both take entries
 * (names, dates, modes, store or deflate) the same way.
 */
export function openArchiver(writerOptions: ZipWriterOptions, date: Date | undefined): ZipArchive {
  const archive = archiver.create(registerZipFormat(), writerOptions as archiver.ArchiverOptions);
  const waiting: Array<{ resolve(name: string): void; reject(error: Error): void }> = [];
  let failure: Error | null = null;

  const fail = (error: Error) => {
    failure ??= error;
    for (const entry of waiting.splice(0)) entry.reject(failure);
  };
  // archiver reports each written entry in the order they were appended.
  archive.on('entry', (entry: archiver.EntryData) => waiting.shift()?.resolve(entry.name));
  archive.on('error', fail);
  archive.on('warning', fail);

  return {
    stream: archive,
    append(name, body, appendOptions = {}) {
      if (failure) return Promise.reject(failure);
      return new Promise<string>((resolve, reject) => {
        waiting.push({ resolve, reject });
        archive.append(body, {
          name,
          date,
          store: appendOptions.store ?? isCompressedMedia(name),
        } as archiver.ZipEntryData);
      });
    },
    async finalize() {
      if (failure) throw failure;
      await archive.finalize();
      if (failure) throw failure;
    },
    abort(error) {
      fail(error);
      archive.abort();
      archive.destroy(error);
    },
  };
}
