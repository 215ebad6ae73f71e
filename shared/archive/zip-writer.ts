/**
 * archiver's zip format with native-crypto encryption: zip-stream (archiver's own zip writer)
 * with each entry's data piped through CRC → deflate (or not) → encryption, always streamed with
 * a data descriptor so that no entry is held in memory whatever its size.
 */
import archiver from 'archiver';
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32, createDeflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import ZipStream from 'zip-stream';
import { AesWorkerEncryptor } from './aes-worker';
import { centralRecord, type ZipEntryRecord } from './central-directory';
import {
  AesKeyPool,
  ZipCryptoCipher,
  ZipCryptoEntryEncryptor,
  aesEncryptWhole,
  zipCryptoHeader,
  type AesEntryKey,
} from './crypto';

type ZipArchiveEntry = ZipStream.ZipArchiveEntry;
type EntryCallback = ZipStream.EntryCallback;

export const ENCRYPTIONS = ['aes256', 'zipcrypto'] as const;
export type Encryption = (typeof ENCRYPTIONS)[number];

export interface ZipWriterOptions {
  /** No password: a plain zip. */
  password?: string | Buffer;
  encryption?: Encryption;
  /** Deflate level for entries that are not stored. */
  level?: number;
  forceZip64?: boolean;
  /** Supplies each AES entry's keys; by default derived ahead from `password` on the thread pool. */
  aesKeys?: () => Promise<AesEntryKey>;
  /** Write a segment: entries only, each reported to the sink, and no central directory. */
  segment?: SegmentSink;
}

/** What a segment's writer reports: each entry once written, then the segment's length. */
export interface SegmentSink {
  entry(entry: ZipEntryRecord & { sha256: string }): void;
  end(bytes: number): void;
}

/** The name under which the writer is registered with archiver. */
export const ZIP_FORMAT = 'zip-native-encrypted';

/** Buffers up to this size are compressed and enciphered in one go rather than streamed. */
const WHOLE_BUFFER_BYTES = 1024 * 1024;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** WinZip AES: compression method 99, the real method sits in the 0x9901 extra field. */
const METHOD_AES = 99;
const AES_EXTRA_ID = 0x9901;
/** AE-2: no CRC (it would leak information about small files); the MAC authenticates instead. */
const AES_VENDOR_VERSION_AE2 = 2;
const AES_STRENGTH_256 = 3;
const VERSION_AES = 51;
const VERSION_DATA_DESCRIPTOR = 20;
function aesExtraField(actualMethod: number): Buffer {
  const field = Buffer.alloc(11);
  field.writeUInt16LE(AES_EXTRA_ID, 0);
  field.writeUInt16LE(7, 2);
  field.writeUInt16LE(AES_VENDOR_VERSION_AE2, 4);
  field.write('AE', 6, 'latin1');
  field.writeUInt8(AES_STRENGTH_256, 8);
  field.writeUInt16LE(actualMethod, 9);
  return field;
}

/** Counts the bytes through it and, when asked, their CRC-32 (native zlib) and sha256. */
export class ByteMeasure extends Transform {
  bytes = 0;
  crc = 0;
  private readonly withCrc: boolean;
  readonly hash: Hash | null;
  constructor(options: { crc?: boolean; hash?: Hash | null } = {}) {
    super();
    this.withCrc = options.crc ?? false;
    this.hash = options.hash ?? null;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.withCrc) this.crc = crc32(chunk, this.crc);
    this.hash?.update(chunk);
    done(null, chunk);
  }
}

/** Chunks gathered to at least this many bytes before they reach zlib. */
const DEFLATE_INPUT_BYTES = 64 * 1024;

/**
 * Gathers small chunks into buffers of at least `bytes` (a larger chunk passes as it is): every
 * write into a zlib stream is a trip to the thread pool, and a merged COCO file streamed as one
 * string per record would make hundreds of thousands of them.
 */
export class ChunkGatherer extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly bytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.pendingBytes === 0 && chunk.length >= this.bytes) return done(null, chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.bytes) this.release();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes > 0) this.release();
    done();
  }

  private release(): void {
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

export class EncryptingZipStream extends ZipStream {
  private readonly password: Buffer | null;
  private readonly encryption: Encryption | null;
  private readonly aesKeys: (() => Promise<AesEntryKey>) | null;
  /** Each entry's own compression method, kept aside once AES puts 99 in its header. */
  private readonly dataMethod = new WeakMap<ZipArchiveEntry, number>();
  private readonly segment: SegmentSink | null;
  /** A segment's entries' sha256 (of the plain bytes), until the entry is reported. */
  private readonly digests = new WeakMap<ZipArchiveEntry, string>();
  private zip64Entries = false;

  constructor(options: ZipWriterOptions = {}) {
    super({
      // archiver's own buffer size: small buffers would bounce every chunk through backpressure.
      highWaterMark: 1024 * 1024,
      forceZip64: options.forceZip64 ?? false,
      zlib: { level: options.level ?? 6 } satisfies ZlibOptions,
    });
    const password = options.password;
    this.password =
      password === undefined || password.length === 0
        ? null
        : Buffer.isBuffer(password)
          ? password
          : Buffer.from(password, 'utf8');
    this.encryption = this.password ? (options.encryption ?? 'aes256') : null;
    if (this.encryption !== null && !ENCRYPTIONS.includes(this.encryption)) {
      throw new Error(`unknown zip encryption ${String(this.encryption)}`);
    }
    if (this.encryption === 'aes256') {
      const pool = options.aesKeys ? null : new AesKeyPool(this.password!);
      this.aesKeys = options.aesKeys ?? (() => pool!.take());
    } else {
      this.aesKeys = null;
    }
    this.segment = options.segment ?? null;
  }

  /**
   * A buffer is written like a stream (with a data descriptor), but a small one at once: setting
   * up a stream chain and a zlib stream costs more than deflating a few kilobytes, and exports
   * hold hundreds of thousands of small annotation files.
   */
  override _appendBuffer(entry: ZipArchiveEntry, source: Buffer, callback: EntryCallback): void {
    if (source.length === 0) entry.setMethod(METHOD_STORED);
    entry.getGeneralPurposeBit().useDataDescriptor(true);
    entry.setVersionNeededToExtract(VERSION_DATA_DESCRIPTOR);
    this._writeLocalFileHeader(entry);
    if (source.length > WHOLE_BUFFER_BYTES) {
      this._smartStream(entry, callback).end(source);
      return;
    }
    const packed =
      this.dataMethod.get(entry) === METHOD_DEFLATED
        ? deflateRawSync(source, this.options.zlib)
        : source;
    if (this.segment) this.digests.set(entry, createHash('sha256').update(source).digest('hex'));
    const finish = (data: Buffer[]) => {
      entry.setCrc(this.encryption === 'aes256' ? 0 : crc32(source));
      entry.setSize(source.length);
      entry.setCompressedSize(data.reduce((sum, piece) => sum + piece.length, 0));
      let drained = true;
      for (const piece of data) drained = this.write(piece);
      const done = () => {
        this._afterAppend(entry);
        callback(null, entry);
      };
      // Honour backpressure as a piped stream would: the next entry waits for the reader.
      if (drained) done();
      else this.once('drain', done);
    };
    if (this.encryption === 'aes256') {
      this.aesKeys!().then(
        (key) => finish(aesEncryptWhole(key, packed)),
        (error: Error) => callback(error),
      );
    } else if (this.encryption === 'zipcrypto') {
      const cipher = new ZipCryptoCipher(this.password!);
      const header = zipCryptoHeader(cipher, (entry.getTimeDos() >>> 8) & 0xff);
      finish([header, cipher.encrypt(packed)]);
    } else {
      finish([packed]);
    }
  }

  override _writeLocalFileHeader(entry: ZipArchiveEntry): void {
    this.dataMethod.set(entry, entry.getMethod());
    if (this.encryption) entry.getGeneralPurposeBit().useEncryption(true);
    if (this.encryption === 'aes256') {
      entry.setExtra(Buffer.concat([entry.getExtra(), aesExtraField(entry.getMethod())]));
      entry.setMethod(METHOD_AES);
      entry.setVersionNeededToExtract(VERSION_AES);
    }
    super._writeLocalFileHeader(entry);
  }

  override _smartStream(entry: ZipArchiveEntry, callback: EntryCallback): NodeJS.WritableStream {
    const deflate = this.dataMethod.get(entry) === METHOD_DEFLATED;
    const withCrc = this.encryption !== 'aes256';
    const encryptor =
      this.encryption === 'aes256'
        ? new AesWorkerEncryptor(this.aesKeys!())
        : this.encryption === 'zipcrypto'
          ? new ZipCryptoEntryEncryptor(this.password!, (entry.getTimeDos() >>> 8) & 0xff)
          : null;
    // Only the stages this entry needs: each one more is a hop for every chunk of every file.
    const hash = this.segment ? createHash('sha256') : null;
    const plain =
      withCrc || deflate || !encryptor || hash ? new ByteMeasure({ crc: withCrc, hash }) : null;
    const packed = deflate && !encryptor ? new ByteMeasure() : null;
    const stages = [
      deflate ? new ChunkGatherer(DEFLATE_INPUT_BYTES) : null,
      plain as Transform | null,
      deflate ? createDeflateRaw(this.options.zlib) : null,
      packed,
      encryptor,
    ].filter((stage): stage is Transform => stage !== null);

    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const stage of stages) stage.destroy();
      callback(error);
    };
    for (const stage of stages) stage.once('error', fail);
    for (let i = 1; i < stages.length; i++) stages[i - 1]!.pipe(stages[i]!);
    const last = stages[stages.length - 1]!;
    last.once('end', () => {
      if (failed) return;
      const size = plain ? plain.bytes : encryptor!.bytesIn;
      entry.setCrc(withCrc ? plain!.crc : 0);
      entry.setSize(size);
      entry.setCompressedSize(encryptor ? encryptor.bytesOut : packed ? packed.bytes : size);
      if (hash) this.digests.set(entry, hash.digest('hex'));
      this._afterAppend(entry);
      callback(null, entry);
    });
    last.pipe(this, { end: false });
    return stages[0]!;
  }

  /**
   * compress-commons' writer, except that the ZIP64 field is added to the entry's extra fields
   * instead of replacing them (it would drop the AES field of an entry past 4 GiB): the record a
   * stitched zip gets for the same entry (central-directory.ts).
   */
  override _writeCentralFileHeader(entry: ZipArchiveEntry): void {
    this.write(centralRecord(describeEntry(entry)));
  }

  /** Also where an entry needs ZIP64 though the counts and offsets of the end fit in 32 bits. */
  override isZip64(): boolean {
    return super.isZip64() || this.zip64Entries;
  }

  override _afterAppend(entry: ZipArchiveEntry): void {
    if (entry.isZip64()) this.zip64Entries = true;
    // Reported before the data descriptor is written: compress-commons finishes the zip from
    // there when it was asked to while this entry was being written.
    this.segment?.entry({ ...describeEntry(entry), sha256: this.digests.get(entry)! });
    super._afterAppend(entry);
    // A segment's records went to its index: they need not stay for a central directory.
    if (this.segment) this._entries.length = 0;
  }

  override _finish(): void {
    if (!this.segment) return super._finish();
    this._archive.processing = false;
    this._archive.finish = true;
    this._archive.finished = true;
    this.segment.end(this.offset);
    this.end();
  }
}

/** The entry as its local header and data descriptor wrote it: what its central record needs. */
export function describeEntry(entry: ZipArchiveEntry): ZipEntryRecord {
  return {
    name: entry.getName(),
    offset: entry._offsets.file,
    crc32: entry.getCrc(),
    compressedSize: entry.getCompressedSize(),
    size: entry.getSize(),
    method: entry.getMethod(),
    flags: entry.getGeneralPurposeBit().encode().readUInt16LE(0),
    dosTime: entry.getTimeDos(),
    versionNeeded: entry.getVersionNeededToExtract(),
    platform: entry.getPlatform(),
    externalAttributes: entry.getExternalAttributes(),
    internalAttributes: entry.getInternalAttributes(),
    extra: entry.getCentralDirectoryExtra().toString('base64'),
  };
}

/**
 * archiver's plugin shape (the one its own zip format has): entries go to the engine, archiver
 * reads the engine's output.
 */
class EncryptingZipFormat {
  readonly supports = { directory: true, symlink: false };
  private readonly engine: EncryptingZipStream;

  constructor(options: ZipWriterOptions) {
    this.engine = new EncryptingZipStream(options);
  }

  append(
    source: Buffer | NodeJS.ReadableStream,
    data: Record<string, unknown>,
    callback: EntryCallback,
  ): void {
    this.engine.entry(source, data, (error, entry) => {
      // archiver and zip-stream each rewrite a name (backslashes, leading slashes and `../`, a
      // `word:` prefix): archiver's `entry` event then reports the name the zip really holds.
      if (entry) data.name = entry.getName();
      callback(error, entry);
    });
  }

  finalize(): void {
    this.engine.finalize();
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.engine.on(event, listener);
    return this;
  }

  pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    return this.engine.pipe(destination, options);
  }

  unpipe(destination?: NodeJS.WritableStream): this {
    this.engine.unpipe(destination);
    return this;
  }
}

/** Registers the writer with archiver once per process (archiver throws on a second time). */
export function registerZipFormat(): string {
  if (!archiver.isRegisteredFormat(ZIP_FORMAT)) {
    archiver.registerFormat(ZIP_FORMAT, EncryptingZipFormat);
  }
  return ZIP_FORMAT;
}
