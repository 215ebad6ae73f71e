import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createArchive } from '../../shared/archive';
import { EntryWriter } from '../../shared/pipeline/package';
import { openZip } from '../helpers/zip';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Names the archive layer rewrites (archiver and zip-stream), and some it keeps. */
const NAMES = [
  'datasets/videos/clip/0.jp\\g',
  'annotations\\set\\labels.txt',
  '/rooted.txt',
  '../../escaped.txt',
  'C:drive.txt',
  'double//slash.txt',
  '\\\\?\\C:\\namespace.txt',
  'kept name (2).txt',
  'ünïcode ☃.txt',
];

describe('checksums.sha256', () => {
  it('lists every entry under exactly the name the zip holds, so that sha256sum -c passes', async () => {
    const archive = createArchive({ password: 'pw', date: new Date('2026-03-01T00:00:00Z') });
    const bytes = collect(archive.stream);
    const writer = new EntryWriter(archive);
    for (const [i, name] of NAMES.entries()) {
      const body = `file ${i}: ${name}\n`;
      // Both paths of the writer: whole buffers and streams.
      await writer.add(name, i % 2 === 0 ? body : Readable.from([Buffer.from(body)]));
    }
    await archive.append('checksums.sha256', writer.checksums());
    await archive.finalize();

    const zip = await openZip(await bytes, 'pw');
    const checksums = await zip.text('checksums.sha256');
    const lines = checksums.trimEnd().split('\n');
    expect(lines).toHaveLength(NAMES.length);
    const listed = lines.map((line) => /^([0-9a-f]{64}) {2}(.+)$/.exec(line)!);
    expect(listed.map((m) => m[2]).sort()).toEqual(
      zip.names.filter((n) => n !== 'checksums.sha256').sort(),
    );
    for (const [, sha256, name] of listed) {
      expect(name).not.toContain('\\');
      const data = Buffer.from(await zip.bytes(name!));
      expect(createHash('sha256').update(data).digest('hex'), name).toBe(sha256);
    }

    // The check a user runs after unpacking.
    const root = await mkdtemp(join(tmpdir(), 'checksums-'));
    try {
      for (const name of zip.names) {
        await mkdir(dirname(join(root, name)), { recursive: true });
        await writeFile(join(root, name), await zip.bytes(name));
      }
      const check = spawnSync('sha256sum', ['-c', 'checksums.sha256'], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(check.error).toBeUndefined();
      expect(check.status, check.stdout + check.stderr).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    await zip.close();
  });
});
