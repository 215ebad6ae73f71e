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
import { runExport } from '../local/run-export';
import type { Annotation, DatasetItem, Task } from '../shared/model/types';
import { StoreWriter } from '../shared/store/writer';

const PROJECT = 'bench';

async function measure(size: number, format: string): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'export-bench-'));
  const stack = await startLocalStack({ directory, shardItems: 500 });
  try {
    const writer = new StoreWriter(stack.s3, stack.config.dataBucket, PROJECT);
    await writer.project({ id: PROJECT, name: 'Bench', created_at: '2026-01-01T00:00:00Z' });
    await writer.dataset({
      id: 'd',
      name: 'Images',
      media: 'image',
      item_metadata_definitions: [],
    });
    const png = new PNG({ width: 64, height: 48 });
    png.data.fill(128);
    const image = PNG.sync.write(png);
    const items: DatasetItem[] = [];
    const annotations: Annotation[] = [];
    for (let index = 0; index < size; index++) {
      const name = `img_${String(index).padStart(6, '0')}.png`;
      items.push({
        index,
        name,
        media_key: name,
        width: 64,
        height: 48,
        num_frames: 1,
        num_channels: 3,
        bits_per_channel: 8,
        meta_data: {},
        created_at: '2026-01-01T00:00:00Z',
      });
      for (let k = 0; k < 4; k++) {
        annotations.push({
          dataset_item_index: index,
          frame_index: 0,
          type: 'Box',
          class_id: 1 + (k % 2),
          instance_id: k + 1,
          box: { x: 2 + k * 14, y: 4 + k * 8, w: 12, h: 10, orientation: null },
          poly: null,
          is_open: false,
          annotators: '',
          meta_data: {},
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:00:00Z',
        });
      }
    }
    const task: Task = {
      id: 't',
      name: 'Boxes',
      type: 'object_detection',
      media: 'image',
      dataset_ids: ['d'],
      classes: [
        { id: 1, name: 'a', parent_id: null },
        { id: 2, name: 'b', parent_id: null },
      ],
      rotation_enabled: false,
      annotation_metadata_definitions: [],
    };
    await writer.task(task);
    await writer.items('d', items);
    await writer.annotations('t', 'd', annotations);
    for (let i = 0; i < size; i += 32) {
      await Promise.all(
        items.slice(i, i + 32).map((item) => writer.media('d', item.media_key, image, 'image/png')),
      );
    }
    global.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = process.hrtime.bigint();
    const record = await runExport(stack, PROJECT, { type: 'both', taskId: 't', format });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    if (record.status !== 'SUCCEEDED') throw new Error(`export failed: ${record.error?.message}`);
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
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const [small, large] = sizes.length === 2 ? sizes : [1000, 5000];
  const self = fileURLToPath(import.meta.url);
  for (const format of ['yolo_darknet', 'coco']) {
    const results = [small!, large!].map((size) => {
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
