import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { trainerSplits } from '../../../shared/formats/common/trainer-splits';
import { darknetData, yoloDarknet } from '../../../shared/formats/yolo-darknet';
import {
  bridgeRings,
  dataYaml,
  toSegmentRow,
  ultralyticsImagePath,
  ultralyticsLabelPath,
  yoloUltralytics,
} from '../../../shared/formats/yolo-ultralytics';
import { countPixels } from '../../../shared/masks/rasterise';
import type { Task } from '../../../shared/model/types';
import { imagesCase } from '../../fixtures/tiny/input';
import { asText, golden, renderShard, ROOT_FOLDER } from './harness';

/** Ultralytics' img2label_paths on a path as extracted somewhere: the last `/images/` swapped. */
function img2label(imagePath: string): string {
  const absolute = `/data/export/${imagePath}`;
  const at = absolute.lastIndexOf('/images/');
  const swapped = absolute.slice(0, at) + '/labels/' + absolute.slice(at + '/images/'.length);
  return swapped.slice(0, swapped.lastIndexOf('.')).slice('/data/export/'.length) + '.txt';
}

function task(names: string[]): Task {
  return {
    ...imagesCase().task,
    classes: names.map((name, i) => ({ id: i + 1, name, parent_id: null })),
  };
}

describe('trainer splits', () => {
  it('without a split: everything is train, and validation is train too', () => {
    expect(trainerSplits(null)).toEqual({ train: 'train', val: 'train', test: null });
  });

  it('takes train, val and test by name, whatever their order', () => {
    expect(trainerSplits(['test', 'val', 'train'])).toEqual({
      train: 'train',
      val: 'val',
      test: 'test',
    });
    expect(trainerSplits(['train', 'validation'])).toEqual({
      train: 'train',
      val: 'validation',
      test: null,
    });
  });

  it('falls back to the first subset for train and the next non-test one for val', () => {
    expect(trainerSplits(['a', 'b', 'c'])).toEqual({ train: 'a', val: 'b', test: null });
    expect(trainerSplits(['train', 'test'])).toEqual({
      train: 'train',
      val: 'test',
      test: null,
    });
    expect(trainerSplits(['only'])).toEqual({ train: 'only', val: 'only', test: null });
  });
});

describe('yolo_ultralytics', () => {
  it('writes a data.yaml that a YAML parser reads as check_det_dataset needs it', () => {
    const text = dataYaml({
      task: task(['car', 'sign, "stop"', 'a: b # c', "it's"]),
      subsets: ['train', 'val', 'test'],
    });
    expect(text).toBe(
      [
        '# Ultralytics YOLO dataset: yolo train data=data.yaml (path empty: the folder of this file)',
        "path: ''",
        'train: images/train',
        'val: images/val',
        'test: images/test',
        'nc: 4',
        'names:',
        '  0: "car"',
        '  1: "sign, \\"stop\\""',
        '  2: "a: b # c"',
        '  3: "it\'s"',
        '',
      ].join('\n'),
    );
    expect(parseYaml(text)).toEqual({
      path: '',
      train: 'images/train',
      val: 'images/val',
      test: 'images/test',
      nc: 4,
      names: { 0: 'car', 1: 'sign, "stop"', 2: 'a: b # c', 3: "it's" },
    });
  });

  it('puts each label file where img2label_paths looks for it', () => {
    for (const [subset, folder, name] of [
      ['train', 'Street & park', 'a.jpg'],
      [null, 'ds', 'c.d.png'],
      ['val', 'images', 'images/x.png'],
      ['train', 'ds', 'batch_1/images.png'],
    ] as const) {
      const image = ultralyticsImagePath(subset, folder, name);
      expect(image.startsWith(`images/${subset ?? 'train'}/`)).toBe(true);
      const label = ultralyticsLabelPath(subset, folder, name);
      expect(label).toBe(img2label(image));
      expect(label.startsWith(`labels/${subset ?? 'train'}/`)).toBe(true);
    }
  });

  it('normalises polygon vertices to [0,1] with at most 6 decimals', () => {
    expect(
      toSegmentRow(
        2,
        [
          { x: 0, y: 0 },
          { x: 32, y: 0 },
          { x: 21, y: 16 },
        ],
        64,
        48,
      ),
    ).toBe('2 0 0 0.5 0 0.328125 0.333333');
  });

  it('bridges the parts of an object into one polygon that fills their union', () => {
    const left = [
      { x: 1, y: 1 },
      { x: 5, y: 1 },
      { x: 5, y: 5 },
      { x: 1, y: 5 },
    ];
    const right = left.map((p) => ({ x: p.x + 10, y: p.y + 2 }));
    const far = left.map((p) => ({ x: p.x + 3, y: p.y + 20 }));
    const rings = [left, right, far];
    const bridged = bridgeRings(rings);
    expect(bridged.length).toBeGreaterThan(12);
    expect(countPixels([bridged], 40, 40)).toBe(countPixels(rings, 40, 40));
    expect(bridgeRings([left])).toBe(left);
  });

  it('writes boxes for object detection and one polygon line per object for segmentation', async () => {
    const detection = await renderShard(yoloUltralytics, imagesCase());
    const labels = [...detection.files.keys()].filter((p) => p.endsWith('.txt'));
    expect(labels.length).toBe(imagesCase().items.length);
    for (const path of labels) {
      for (const line of detection.files.get(path)!.toString('utf8').split('\n')) {
        if (line !== '') expect(line.split(' ')).toHaveLength(5);
      }
    }
    const instances = await renderShard(yoloUltralytics, imagesCase('instance_segmentation'));
    const a = instances.files
      .get(`${ROOT_FOLDER}labels/train/Street & park/a.txt`)!
      .toString('utf8')
      .trim()
      .split('\n');
    expect(a.length).toBe(
      detection.files
        .get(`${ROOT_FOLDER}labels/train/Street & park/a.txt`)!
        .toString('utf8')
        .trim()
        .split('\n').length,
    );
    for (const line of a) {
      const values = line.split(' ').slice(1).map(Number);
      expect(values.length % 2).toBe(0);
      expect(values.length).toBeGreaterThanOrEqual(6);
      for (const v of values) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it.each(['instance_segmentation', 'semantic_segmentation'] as const)(
    'renders the golden files of a %s task',
    async (type) => {
      const { files } = await renderShard(yoloUltralytics, imagesCase(type));
      expect(asText(files)).toEqual(golden(`images-${type}/yolo_ultralytics`, files));
    },
  );
});

describe("yolo_darknet's own files", () => {
  it('writes obj.data naming the lists and obj.names, train and valid by the same rule', () => {
    expect(darknetData({ task: task(['a', 'b']), subsets: ['train', 'val'] })).toBe(
      'classes = 2\ntrain = train.txt\nvalid = val.txt\nnames = obj.names\nbackup = backup/\n',
    );
    expect(darknetData({ task: task(['a']), subsets: null })).toContain('valid = train.txt');
  });

  it('lists every image of the subset and puts its labels beside it', async () => {
    const tiny = imagesCase();
    const { files } = await renderShard(yoloDarknet, tiny);
    const list = files.get(`${ROOT_FOLDER}train.txt`)!.toString('utf8');
    expect(list).toBe(tiny.items.map((i) => `datasets/Street & park/${i.name}\n`).join(''));
    for (const item of tiny.items) {
      const stem = item.name.slice(0, item.name.lastIndexOf('.'));
      expect(files.get(`${ROOT_FOLDER}datasets/Street & park/${stem}.txt`)).toEqual(
        files.get(`${stem}.txt`),
      );
    }
    expect(files.get(`${ROOT_FOLDER}obj.names`)).toEqual(files.get('darknet.labels'));
  });
});
