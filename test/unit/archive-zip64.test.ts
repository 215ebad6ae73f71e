import { describe, expect, it } from 'vitest';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  BlobReader,
  TextWriter,
  ZipReader,
  configure,
  type Entry,
  type FileEntry,
} from '@zip.js/zip.js';
import { createArchive } from '../../shared/archive';

configure({ useWebWorkers: false });

describe('ZIP64', () => {
  it('streams more than 65,535 entries that zip.js reads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zip64-'));
    try {
      const path = join(dir, 'many.zip');
      const count = 70_000;
      const archive = createArchive({ password: 'zip64 password', encryption: 'zipcrypto' });
      const written = pipeline(archive.stream, createWriteStream(path));
      for (let i = 0; i < count; i++) {
        await archive.append(`items/${i}.txt`, `item ${i}\n`);
      }
      await archive.finalize();
      await written;

      const reader = new ZipReader(new BlobReader(await openAsBlob(path)), {
        password: 'zip64 password',
        checkCrc32: true,
      });
      const entries: Entry[] = await reader.getEntries();
      expect(entries).toHaveLength(count);
      for (const i of [0, 65_535, 65_536, count - 1]) {
        const entry = entries[i] as FileEntry;
        expect(entry.filename).toBe(`items/${i}.txt`);
        expect(await entry.getData(new TextWriter())).toBe(`item ${i}\n`);
      }
      await reader.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
