/**
 * The local stack against a plain script (BENCHMARKS.md, Scale): the same project of N small PNG
 * images with four boxes each, exported with type both (COCO, and YOLO Darknet: one label file
 * per image) through the whole state machine on the local stack, and by bench/plain_export.py,
 * which reads the COCO file from disk, writes YOLO labels and the COCO file and zips them with the
 * images. Three alternating trials of each side; the best of each is reported.
 *
 *   npm run bench both              10,000 images
 *   npm run bench both -- 2000
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { startLocalStack, type LocalStack } from '../local/stack';
import {
  exportSynthetic,
  seedSyntheticProject,
  syntheticBoxes,
  syntheticItem,
  type SyntheticOptions,
} from './synthetic-project';

const TRIALS = 3;
const FORMATS = ['coco', 'yolo_darknet'];

/** The project's images and a COCO file of its boxes, on disk for the plain script. */
function writePlainInput(directory: string, options: SyntheticOptions): string {
  const images = join(directory, 'images');
  mkdirSync(images);
  const items = Array.from({ length: options.size }, (_, index) => syntheticItem(index, options));
  for (const item of items) writeFileSync(join(images, item.name), options.image(item.index));
  const annotations = items.flatMap((item) =>
    syntheticBoxes(item.index, options).map((a, k) => ({
      id: item.index * 10 + k + 1,
      image_id: item.index + 1,
      category_id: a.class_id,
      bbox: [a.box!.x, a.box!.y, a.box!.w, a.box!.h],
      area: a.box!.w * a.box!.h,
      iscrowd: 0,
    })),
  );
  const coco = {
    images: items.map((item) => ({
      id: item.index + 1,
      file_name: item.name,
      width: item.width,
      height: item.height,
    })),
    categories: [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ],
    annotations,
  };
  writeFileSync(join(directory, 'coco.json'), JSON.stringify(coco));
  return images;
}

function runPlainScript(directory: string, images: string): number {
  const script = fileURLToPath(new URL('./plain_export.py', import.meta.url));
  const out = join(directory, 'plain.zip');
  const run = spawnSync('python3', [script, join(directory, 'coco.json'), images, out], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`plain_export.py failed:\n${run.stderr}`);
  rmSync(out);
  return (JSON.parse(run.stdout) as { itemsPerSecond: number }).itemsPerSecond;
}

async function runOurs(stack: LocalStack, size: number, format: string): Promise<number> {
  return size / (await exportSynthetic(stack, format)).seconds;
}

const size = Number(process.argv[2] ?? 10_000);
const directory = mkdtempSync(join(tmpdir(), 'both-bench-'));
const stack = await startLocalStack({ directory: join(directory, 's3'), shardItems: 500 });
try {
  const png = new PNG({ width: 64, height: 48 });
  png.data.fill(128);
  const image = PNG.sync.write(png);
  const options: SyntheticOptions = { size, width: 64, height: 48, ext: 'png', image: () => image };
  await seedSyntheticProject(stack.s3, stack.config.dataBucket, options);
  const images = writePlainInput(directory, options);
  const best: Record<string, number> = { plain: 0 };
  for (let trial = 0; trial < TRIALS; trial++) {
    best.plain = Math.max(best.plain!, runPlainScript(directory, images));
    for (const format of FORMATS)
      best[format] = Math.max(best[format] ?? 0, await runOurs(stack, size, format));
  }
  console.log(`${size} images, best of ${TRIALS}; plain script ${best.plain!.toFixed(0)} items/s`);
  for (const format of FORMATS)
    console.log(
      `both ${format.padEnd(13)} ${best[format]!.toFixed(0).padStart(6)} items/s  ${(best[format]! / best.plain!).toFixed(2)}x the plain script`,
    );
} finally {
  await stack.stop();
  rmSync(directory, { recursive: true, force: true });
}
