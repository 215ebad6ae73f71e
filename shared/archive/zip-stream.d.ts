/**
 * The part of zip-stream (archiver's zip writer, CommonJS without types) that the encrypting
 * writer extends: entry bookkeeping and the header writers of compress-commons.
 */
declare module 'zip-stream' {
  import { Transform } from 'node:stream';
  import type { ZlibOptions } from 'node:zlib';

  namespace ZipStream {
    interface GeneralPurposeBit {
      encode(): Buffer;
      useDataDescriptor(b: boolean): void;
      usesDataDescriptor(): boolean;
      useEncryption(b: boolean): void;
      usesUTF8ForNames(): boolean;
    }

    interface ZipArchiveEntry {
      _offsets: { file: number; data: number; contents: number };
      getCentralDirectoryExtra(): Buffer;
      getComment(): string;
      getCompressedSize(): number;
      getCrc(): number;
      getExternalAttributes(): number;
      getExtra(): Buffer;
      getGeneralPurposeBit(): GeneralPurposeBit;
      getInternalAttributes(): number;
      getMethod(): number;
      getName(): string;
      getPlatform(): number;
      getSize(): number;
      getTimeDos(): number;
      getVersionNeededToExtract(): number;
      isZip64(): boolean;
      setCompressedSize(size: number): void;
      setCrc(crc: number): void;
      setExtra(extra: Buffer): void;
      setMethod(method: number): void;
      setSize(size: number): void;
      setVersionNeededToExtract(version: number): void;
    }

    interface Options {
      highWaterMark?: number;
      zlib?: ZlibOptions;
      forceZip64?: boolean;
      store?: boolean;
      comment?: string;
    }

    type EntryCallback = (error: Error | null, entry?: ZipArchiveEntry) => void;
  }

  class ZipStream extends Transform {
    constructor(options?: ZipStream.Options);
    options: ZipStream.Options & { zlib: ZlibOptions };
    offset: number;
    _archive: { forceZip64: boolean; processing: boolean; finish: boolean; finished: boolean };
    _entries: ZipStream.ZipArchiveEntry[];
    entry(
      source: Buffer | NodeJS.ReadableStream | string | null,
      data: Record<string, unknown>,
      callback?: ZipStream.EntryCallback,
    ): this;
    finalize(): void;
    _afterAppend(entry: ZipStream.ZipArchiveEntry): void;
    _finish(): void;
    isZip64(): boolean;
    _appendBuffer(
      entry: ZipStream.ZipArchiveEntry,
      source: Buffer,
      callback: ZipStream.EntryCallback,
    ): void;
    _appendStream(
      entry: ZipStream.ZipArchiveEntry,
      source: NodeJS.ReadableStream,
      callback: ZipStream.EntryCallback,
    ): void;
    _smartStream(
      entry: ZipStream.ZipArchiveEntry,
      callback: ZipStream.EntryCallback,
    ): NodeJS.WritableStream;
    _writeLocalFileHeader(entry: ZipStream.ZipArchiveEntry): void;
    _writeCentralFileHeader(entry: ZipStream.ZipArchiveEntry): void;
  }

  export = ZipStream;
}
