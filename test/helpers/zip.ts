import { BlobReader, TextWriter, Uint8ArrayWriter, ZipReader, type Entry } from '@zip.js/zip.js';

/** An archive read back with an independent zip reader (@zip.js/zip.js). */
export interface OpenedZip {
  names: string[];
  text(name: string): Promise<string>;
  bytes(name: string): Promise<Uint8Array>;
  entries: Entry[];
  close(): Promise<void>;
}

export async function openZip(archive: Uint8Array, password?: string): Promise<OpenedZip> {
  const reader = new ZipReader(new BlobReader(new Blob([archive])), password ? { password } : {});
  const entries = await reader.getEntries();
  const find = (name: string) => {
    const entry = entries.find((e) => e.filename === name);
    if (!entry || entry.directory)
      throw new Error(
        `archive has no file ${name}; it has ${entries.map((e) => e.filename).join(', ')}`,
      );
    return entry;
  };
  return {
    names: entries.filter((e) => !e.directory).map((e) => e.filename),
    entries,
    text: (name) => find(name).getData!(new TextWriter()),
    bytes: (name) => find(name).getData!(new Uint8ArrayWriter()),
    close: () => reader.close(),
  };
}
