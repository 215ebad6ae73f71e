import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlobReader,
  TextWriter,
  ZipReader,
  configure,
  type Entry,
  type FileEntry,
} from '@zip.js/zip.js';
import type { TestEntry } from './entries';
import { HAS_7Z, MISSING_7Z, cut, sevenZipTest, stitch, writeSegment } from './stitch';

configure({ useWebWorkers: false });

const DATE = new Date('2026-03-01T12:34:56Z');

describe('a stitched zip of more than 65,535 entries', () => {
  // Byte for byte createArchive's zip too: the end records' ZIP64 rules are held against
  // compress-commons for any count in central-directory.test.ts, at a tenth of the time.
  it('has ZIP64 end records; zip.js lists every entry and 7-Zip tests them all', async () => {
    const count = 66_000;
    const entries = Array.from({ length: count }, (_, i): TestEntry => {
      const text = `item ${i}\n`;
      return { name: `items/${i}.txt`, bytes: Buffer.from(text), body: () => text };
    });
    const segments = [];
    for (const group of cut(entries, [20_000, 40_000, 65_535])) {
      segments.push(await writeSegment({ date: DATE }, group));
    }
    const zip = await stitch(segments);
    // The ZIP64 end record and its locator sit before the end record, which says "see ZIP64".
    expect(zip.readUInt32LE(zip.length - 22 - 20 - 56)).toBe(0x06064b50);
    expect(zip.readUInt16LE(zip.length - 22 + 10)).toBe(0xffff);

    const reader = new ZipReader(new BlobReader(new Blob([zip])), { checkCrc32: true });
    const read: Entry[] = await reader.getEntries();
    expect(read).toHaveLength(count);
    for (const i of [0, 19_999, 20_000, 65_535, 65_536, count - 1]) {
      const entry = read[i] as FileEntry;
      expect(entry.filename).toBe(`items/${i}.txt`);
      expect(await entry.getData(new TextWriter())).toBe(`item ${i}\n`);
    }
    await reader.close();

    if (!HAS_7Z) return void console.warn(MISSING_7Z);
    const dir = await mkdtemp(join(tmpdir(), 'many-entries-'));
    try {
      await writeFile(join(dir, 'many.zip'), zip);
      const tested = sevenZipTest(join(dir, 'many.zip'));
      expect(tested.ok, tested.output.slice(-2000)).toBe(true);
      expect(tested.output).toContain(`Files: ${count}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
