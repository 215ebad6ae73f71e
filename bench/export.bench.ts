/**
 * End-to-end export throughput and peak memory (DESIGN §17): a synthetic project of N small
 * images with four boxes each, exported (type both, yolo_darknet: one file per image, plus COCO)
 * through the whole state machine on the local stack. Each size runs in its own process so that
 * its peak RSS is its own; the ratio of peaks shows whether memory stays flat as exports grow.
 *
 *   npm run bench export             sizes 1000 and 5000
 *   npm run bench export -- 2000 20000
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { startLocalStack } from '../local/stack';
import { smallAndLarge } from './sizes';
import { exportSynthetic, seedSyntheticProject } from './synthetic-project';

async function measure(size: number, format: string): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'export-bench-'));
  const stack = await startLocalStack({ directory, shardItems: 500 });
  try {
    const png = new PNG({ width: 64, height: 48 });
    png.data.fill(128);
    const image = PNG.sync.write(png);
    await seedSyntheticProject(stack.s3, stack.config.dataBucket, {
      size,
      width: 64,
      height: 48,
      ext: 'png',
      image: () => image,
    });
    global.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const { seconds, record } = await exportSynthetic(stack, format);
    clearInterval(sampler);
    console.log(
      JSON.stringify({
        size,
        format,
        seconds,
        itemsPerSecond: size / seconds,
        peakMB: peak / 2 ** 20,
        bytes: record.archive?.bytes,
      }),
    );
  } finally {
    await stack.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') {
  await measure(Number(process.argv[3]), process.argv[4]!);
} else {
  const [small, large] = smallAndLarge([1000, 5000]);
  const self = fileURLToPath(import.meta.url);
  for (const format of ['yolo_darknet', 'coco']) {
    const results = [small, large].map((size) => {
      const run = spawnSync(
        process.execPath,
        [
          '--openssl-legacy-provider',
          '--expose-gc',
          '--import',
          'tsx',
          self,
          '--measure',
          String(size),
          format,
        ],
        {
          encoding: 'utf8',
        },
      );
      if (run.status !== 0) throw new Error(`bench of ${size} items failed:\n${run.stderr}`);
      const line = run.stdout.trim().split('\n').pop()!;
      return JSON.parse(line) as {
        size: number;
        seconds: number;
        itemsPerSecond: number;
        peakMB: number;
        bytes: number;
      };
    });
    for (const r of results) {
      console.log(
        `${format.padEnd(12)} ${String(r.size).padStart(6)} items  ${r.seconds.toFixed(1).padStart(6)} s  ${r.itemsPerSecond.toFixed(0).padStart(5)} items/s  peak ${r.peakMB.toFixed(0)} MB  archive ${(r.bytes / 2 ** 20).toFixed(1)} MiB`,
      );
    }
    console.log(
      `${format.padEnd(12)} peak memory ratio ${large}/${small} items: ${(results[1]!.peakMB / results[0]!.peakMB).toFixed(2)}x`,
    );
  }
}
