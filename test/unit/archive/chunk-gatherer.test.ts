import { describe, expect, it } from 'vitest';
import { ChunkGatherer } from '../../../shared/archive/zip-writer';
import { pseudoRandomBytes } from './entries';

async function chunksOut(gatherer: ChunkGatherer, chunks: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    gatherer.on('data', (chunk: Buffer) => out.push(chunk));
    gatherer.on('end', resolve).on('error', reject);
  });
  for (const chunk of chunks) gatherer.write(chunk);
  gatherer.end();
  await done;
  return out;
}

describe('ChunkGatherer', () => {
  it('passes the same bytes in order, in chunks of at least its size but the last', async () => {
    const bytes = pseudoRandomBytes('gathered', 300_000);
    const sizes = [1, 7, 100, 5_000, 3, 2, 1_000, 70_000];
    const chunks: Buffer[] = [];
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const size = sizes[k % sizes.length]!;
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    const out = await chunksOut(new ChunkGatherer(64 * 1024), chunks);
    expect(Buffer.concat(out).equals(bytes)).toBe(true);
    expect(out.slice(0, -1).every((chunk) => chunk.length >= 64 * 1024)).toBe(true);
    expect(chunks.length).toBeGreaterThan(30);
  });

  it('lets a chunk past its size through alone when nothing is held', async () => {
    const big = pseudoRandomBytes('big', 100_000);
    const out = await chunksOut(new ChunkGatherer(64 * 1024), [big]);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(big);
  });
});
