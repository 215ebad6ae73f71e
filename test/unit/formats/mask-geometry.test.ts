/**
 * Mask annotations (COCO RLE) through every text format: COCO writes the RLE back with its crowd
 * flag, the box formats write the pixels' box, the polygon formats its outlines, the platform's
 * JSON keeps it as stored.
 */
import { describe, expect, it } from 'vitest';
import { coco } from '../../../shared/formats/coco';
import { csv } from '../../../shared/formats/csv';
import { innotescusJson } from '../../../shared/formats/innotescus-json';
import { kitti } from '../../../shared/formats/kitti';
import { pascalVoc } from '../../../shared/formats/pascal-voc';
import { yoloDarknet } from '../../../shared/formats/yolo-darknet';
import { yoloUltralytics } from '../../../shared/formats/yolo-ultralytics';
import { fillRings } from '../../../shared/masks/rasterise';
import { decodeRleString, rleFromBitmap } from '../../../shared/masks/rle';
import type { Annotation } from '../../../shared/model/types';
import { imagesCase, type TinyCase } from '../../fixtures/tiny/input';
import { renderShard, ROOT_FOLDER } from './harness';

const WIDTH = 64;
const HEIGHT = 48;

/** An L of pixels (columns 10-19 of rows 5-9, columns 10-13 of rows 10-19) and a lone pixel. */
function bitmap(): Uint8Array {
  const pixels = new Uint8Array(WIDTH * HEIGHT);
  for (let y = 5; y < 20; y++)
    for (let x = 10; x < (y < 10 ? 20 : 14); x++) pixels[y * WIDTH + x] = 1;
  pixels[30 * WIDTH + 40] = 1;
  return pixels;
}

function maskCase(): TinyCase {
  const tiny = imagesCase('instance_segmentation');
  const first = tiny.items[0]!;
  expect([first.item.width, first.item.height]).toEqual([WIDTH, HEIGHT]);
  const mask: Annotation = {
    ...first.annotations[0]!,
    type: 'Mask',
    box: null,
    poly: null,
    mask: rleFromBitmap(bitmap(), WIDTH, HEIGHT),
    is_crowd: true,
  };
  return { ...tiny, items: [{ ...first, annotations: [mask] }] };
}

const AREA = 10 * 5 + 4 * 10 + 1;

describe('Mask annotations', () => {
  it('COCO writes the RLE compressed as pycocotools does, with iscrowd, area and bbox', async () => {
    const { files } = await renderShard(coco, maskCase());
    const document = JSON.parse(files.get('coco.json')!.toString('utf8')) as {
      annotations: Array<{
        segmentation: { size: number[]; counts: string };
        iscrowd: number;
        area: number;
        bbox: number[];
      }>;
    };
    const [annotation] = document.annotations;
    expect(annotation!.iscrowd).toBe(1);
    expect(annotation!.segmentation.size).toEqual([HEIGHT, WIDTH]);
    expect(decodeRleString(annotation!.segmentation.counts)).toEqual(
      rleFromBitmap(bitmap(), WIDTH, HEIGHT).counts,
    );
    expect(annotation!.area).toBe(AREA);
    expect(annotation!.bbox).toEqual([10, 5, 31, 26]);
  });

  it('box formats write the box of its pixels', async () => {
    const voc = (await renderShard(pascalVoc, { ...maskCase(), task: imagesCase().task })).files;
    const xml = [...voc.values()][0]!.toString('utf8');
    expect(xml).toContain('<xmin>11</xmin>');
    expect(xml).toContain('<ymin>6</ymin>');
    expect(xml).toContain('<xmax>41</xmax>');
    expect(xml).toContain('<ymax>31</ymax>');
    const darknet = (await renderShard(yoloDarknet, maskCase())).files;
    const row = darknet.get('a.txt')!.toString('utf8').trim().split(' ').map(Number);
    expect(row.slice(1)).toEqual(
      [25.5 / WIDTH, 18 / HEIGHT, 31 / WIDTH, 26 / HEIGHT].map((v) => Number(v.toFixed(6))),
    );
    const kittiLine = (await renderShard(kitti, maskCase())).files.get('a.txt')!.toString('utf8');
    expect(kittiLine.split(' ').slice(4, 8)).toEqual(['10.00', '5.00', '41.00', '31.00']);
  });

  it('YOLO-seg writes one line whose polygon fills exactly its pixels', async () => {
    const { files } = await renderShard(yoloUltralytics, maskCase());
    const lines = files
      .get(`${ROOT_FOLDER}labels/train/Street & park/a.txt`)!
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
    const values = lines[0]!.split(' ').slice(1).map(Number);
    const ring = [];
    for (let i = 0; i < values.length; i += 2)
      ring.push({ x: values[i]! * WIDTH, y: values[i + 1]! * HEIGHT });
    const painted = new Uint8Array(WIDTH * HEIGHT);
    fillRings([ring], WIDTH, HEIGHT, (y, from, to) =>
      painted.fill(1, y * WIDTH + from, y * WIDTH + to),
    );
    expect([...painted]).toEqual([...bitmap()]);
  });

  it('CSV writes a row with its outlines; the platform JSON keeps the mask as stored', async () => {
    const rows = (await renderShard(csv, maskCase())).files
      .get('annotations.csv')!
      .toString('utf8')
      .trim()
      .split('\r\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain('[[[10,5],');
    const json = (await renderShard(innotescusJson, maskCase())).files.get('annotations.json')!;
    const [stored] = JSON.parse(json.toString('utf8')) as Annotation[];
    expect(stored!.mask).toEqual(rleFromBitmap(bitmap(), WIDTH, HEIGHT));
    expect(stored!.is_crowd).toBe(true);
  });
});
