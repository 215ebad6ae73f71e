import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import { CLASSES_FILE, classColour, LABELMAP_FILE, masks } from '../../../shared/formats/masks';
import { rleFromBitmap } from '../../../shared/masks/rle';
import type { ExportItem, MaskKind, Part, RenderInput } from '../../../shared/formats/types';
import { maskClasses } from '../../../shared/masks/classes';
import { safeName } from '../../../shared/names';
import type { Annotation, Dataset, Point, Task, TaskType } from '../../../shared/model/types';
import {
  aBox,
  anAnnotation,
  anItem,
  aPolygon,
  aRectangle as rect,
  aTask,
} from '../../helpers/builders';
import { decodeMask } from './reference';

function rows(values: number[], width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += width) out.push(values.slice(i, i + width));
  return out;
}

/** Classes out of id order: values follow ascending id (car 1, road 2, sky/cloud 3). */
function task(type: TaskType, media: 'image' | 'video' = 'image'): Task {
  return aTask({
    name: 'street',
    type,
    media,
    classes: [
      { id: 5, name: 'road', parent_id: null },
      { id: 2, name: 'car', parent_id: null },
      { id: 9, name: 'sky/cloud', parent_id: null },
    ],
    rotation_enabled: true,
  });
}
const CAR = 2;
const ROAD = 5;
const SKY = 9;

function annotation(
  fields: Partial<Annotation> & Pick<Annotation, 'type' | 'class_id'>,
): Annotation {
  return anAnnotation({ instance_id: 0, ...fields });
}

function box(
  classId: number,
  x: number,
  y: number,
  w: number,
  h: number,
  more: Partial<Annotation> = {},
) {
  return aBox({ x, y, w, h }, { class_id: classId, instance_id: 0, ...more });
}

function poly(classId: number, rings: Point[][], more: Partial<Annotation> = {}) {
  return aPolygon(rings, { class_id: classId, instance_id: 0, ...more });
}

function exportItem(
  index: number,
  name: string,
  width: number,
  height: number,
  annotations: Annotation[],
  frames: ExportItem['frames'] = [],
): ExportItem {
  const item = anItem({ index, name, width, height, num_frames: Math.max(1, frames.length) });
  return { item, name, annotations, url: `s3://store/${name}`, mediaKey: name, frames };
}

/** An 8x6 image whose objects overlap, and every kind of annotation a mask cannot draw. */
const STREET_ANNOTATIONS: Annotation[] = [
  poly(ROAD, [rect(0, 3, 8, 6)]),
  box(CAR, 1, 2, 3, 2),
  // Two overlapping parts of one object: their union.
  poly(SKY, [rect(5, 0, 7, 2), [...rect(6, 1, 8, 2)].reverse()]),
  box(CAR, 4, 4, 2, 1),
  annotation({ type: 'Tag', class_id: CAR }),
  poly(ROAD, [rect(0, 0, 2, 2)], { is_open: true }),
  poly(ROAD, [
    [
      { x: 0, y: 0 },
      { x: 3, y: 3 },
    ],
  ]),
  box(CAR, 1, 1, 0, 4),
  box(CAR, 20, 1, 3, 3),
  box(CAR, 0.1, 0.1, 0.2, 0.2),
];

const EXPECTED_WARNINGS = [
  'a.png frame 0: Tag skipped: masks need a box, polygon or mask',
  'a.png frame 0: open polyline skipped',
  'a.png frame 0: polygon with fewer than 3 points skipped',
  'a.png frame 0: zero-area box skipped',
  'a.png frame 0: annotation lies outside the image and was skipped',
  'a.png frame 0: annotation covers no pixel centre and was skipped',
];

const DATASET: Dataset = {
  id: 'd1',
  name: 'street',
  media: 'image',
  item_metadata_definitions: [],
};
const VIDEO_DATASET: Dataset = { ...DATASET, media: 'video' };

function streetItems(): ExportItem[] {
  return [exportItem(0, 'a.png', 8, 6, STREET_ANNOTATIONS), exportItem(1, 'b.jpg', 4, 3, [])];
}

interface Output {
  files: Map<string, Uint8Array | string>;
  sources: Map<string, string>;
  warnings: string[];
}

async function render(
  taskType: TaskType,
  kind: MaskKind | undefined,
  items: ExportItem[],
  dataset = DATASET,
): Promise<Output> {
  const warnings: string[] = [];
  const input: RenderInput = {
    exportName: 'x',
    createdAt: '2024-05-06T07:08:09.000Z',
    task: task(taskType, dataset.media),
    dataset,
    items,
    maskKind: kind,
    warn: (message) => warnings.push(message),
  };
  const files = new Map<string, Uint8Array | string>();
  const sources = new Map<string, string>();
  for await (const file of masks.render(input)) {
    expect(files.has(file.path) || sources.has(file.path), `${file.path} twice`).toBe(false);
    if ('source' in file) sources.set(file.path, file.source);
    else files.set(file.path, file.body);
  }
  return { files, sources, warnings };
}

function png(output: Output, path: string) {
  const body = output.files.get(path);
  if (!(body instanceof Uint8Array)) throw new Error(`${path} is not a rendered PNG`);
  return decodeMask(body);
}

describe('masks: aggregated_class', () => {
  it.each(['semantic_segmentation', 'instance_segmentation'] as const)(
    'paints class values in stored order on a %s task',
    async (taskType) => {
      const output = await render(taskType, 'aggregated_class', streetItems());
      expect([...output.files.keys()].sort()).toEqual([
        'a.png',
        'b.png',
        CLASSES_FILE,
        LABELMAP_FILE,
      ]);
      const a = png(output, 'a.png');
      expect(a.depth).toBe(8);
      expect(rows(a.values, 8)).toEqual([
        [0, 0, 0, 0, 0, 3, 3, 0],
        [0, 0, 0, 0, 0, 3, 3, 3],
        [0, 1, 1, 1, 0, 0, 0, 0],
        [2, 1, 1, 1, 2, 2, 2, 2],
        [2, 2, 2, 2, 1, 1, 2, 2],
        [2, 2, 2, 2, 2, 2, 2, 2],
      ]);
      expect(png(output, 'b.png')).toEqual({
        width: 4,
        height: 3,
        depth: 8,
        values: new Array(12).fill(0),
      });
      expect(output.files.get(CLASSES_FILE)).toBe(
        'file: a.png\n1 car\n2 road\n3 sky/cloud\nfile: b.jpg\n',
      );
      expect(output.warnings).toEqual(EXPECTED_WARNINGS);
    },
  );

  it('lists only the classes left visible', async () => {
    const hidden = [box(SKY, 0, 0, 2, 2), box(ROAD, 0, 0, 4, 4)];
    const output = await render('semantic_segmentation', 'aggregated_class', [
      exportItem(0, 'c.png', 4, 4, hidden),
    ]);
    expect(output.files.get(CLASSES_FILE)).toBe('file: c.png\n2 road\n');
  });

  it('refuses an export without a mask kind', async () => {
    await expect(render('semantic_segmentation', undefined, streetItems())).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('fails naming item and frame when a class is not in the task', async () => {
    await expect(
      render('semantic_segmentation', 'aggregated_class', [
        exportItem(0, 'a.png', 8, 6, [box(77, 0, 0, 2, 2)]),
      ]),
    ).rejects.toThrow('a.png frame 0: class id 77 is not a class of the task');
  });
});

describe('masks: instance', () => {
  it('numbers the instances of each image from 1 in stored order', async () => {
    const output = await render('instance_segmentation', 'instance', streetItems());
    expect([...output.files.keys()].sort()).toEqual([
      'a.png',
      'b.png',
      CLASSES_FILE,
      LABELMAP_FILE,
    ]);
    expect(rows(png(output, 'a.png').values, 8)).toEqual([
      [0, 0, 0, 0, 0, 3, 3, 0],
      [0, 0, 0, 0, 0, 3, 3, 3],
      [0, 2, 2, 2, 0, 0, 0, 0],
      [1, 2, 2, 2, 1, 1, 1, 1],
      [1, 1, 1, 1, 4, 4, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ]);
    expect(output.files.get(CLASSES_FILE)).toBe(
      'file: a.png\n1 road\n2 car\n3 sky/cloud\n4 car\nfile: b.jpg\n',
    );
    expect(output.warnings).toEqual(EXPECTED_WARNINGS);
  });

  it('writes a 16-bit PNG when an image holds more than 255 instances', async () => {
    const width = 30;
    const height = 20;
    const pixels = Array.from({ length: width * height }, (_, i) =>
      box(i % 2 === 0 ? CAR : ROAD, i % width, Math.floor(i / width), 1, 1),
    );
    const item = exportItem(0, 'crowd.png', width, height, pixels);
    const output = await render('instance_segmentation', 'instance', [item]);
    const mask = png(output, 'crowd.png');
    expect(mask.depth).toBe(16);
    expect(mask.values).toEqual(Array.from({ length: width * height }, (_, i) => i + 1));
    const lines = String(output.files.get(CLASSES_FILE)).split('\n');
    expect(lines).toHaveLength(width * height + 2);
    expect(lines.slice(0, 3)).toEqual(['file: crowd.png', '1 car', '2 road']);
    expect(lines.slice(-3)).toEqual(['599 car', '600 road', '']);

    // The same image as class values fits in 8 bits.
    const aggregated = await render('instance_segmentation', 'aggregated_class', [item]);
    expect(png(aggregated, 'crowd.png').depth).toBe(8);
  });
});

describe('masks: individual_class', () => {
  it('writes one binary mask per class present on a semantic task', async () => {
    const output = await render('semantic_segmentation', 'individual_class', streetItems());
    expect([...output.files.keys()].sort()).toEqual([
      'a__car.png',
      'a__road.png',
      'a__sky_cloud.png',
    ]);
    const car = png(output, 'a__car.png');
    expect(car.depth).toBe(8);
    expect(rows(car.values, 8)).toEqual([
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 255, 255, 255, 0, 0, 0, 0],
      [0, 255, 255, 255, 0, 0, 0, 0],
      [0, 0, 0, 0, 255, 255, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(rows(png(output, 'a__sky_cloud.png').values, 8).slice(0, 3)).toEqual([
      [0, 0, 0, 0, 0, 255, 255, 0],
      [0, 0, 0, 0, 0, 255, 255, 255],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(output.warnings).toEqual(EXPECTED_WARNINGS);
  });

  it('writes one binary mask per instance on an instance task, numbered as in the instance mask', async () => {
    const output = await render('instance_segmentation', 'individual_class', streetItems());
    expect([...output.files.keys()].sort()).toEqual([
      'a__car__2.png',
      'a__car__4.png',
      'a__road__1.png',
      'a__sky_cloud__3.png',
    ]);
    expect(rows(png(output, 'a__car__4.png').values, 8)).toEqual([
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 255, 255, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    // Each file holds its instance's whole mask, the parts later instances cover included.
    expect(rows(png(output, 'a__road__1.png').values, 8).slice(3)).toEqual([
      [255, 255, 255, 255, 255, 255, 255, 255],
      [255, 255, 255, 255, 255, 255, 255, 255],
      [255, 255, 255, 255, 255, 255, 255, 255],
    ]);
  });

  it('gives an instance that later ones cover entirely its own file', async () => {
    const covered = [
      box(CAR, 1, 1, 2, 2, { instance_id: 1 }),
      box(ROAD, 0, 0, 8, 6, { instance_id: 2 }),
    ];
    const items = [exportItem(0, 'a.png', 8, 6, covered)];
    const output = await render('instance_segmentation', 'individual_class', items);
    expect([...output.files.keys()].sort()).toEqual(['a__car__1.png', 'a__road__2.png']);
    const car = png(output, 'a__car__1.png').values;
    expect(car.filter((v) => v === 255)).toHaveLength(4);
    expect(rows(car, 8)[1]).toEqual([0, 255, 255, 0, 0, 0, 0, 0]);
    // The instance mask still follows the paint order: the road covers the car.
    const instance = await render('instance_segmentation', 'instance', items);
    expect(new Set(png(instance, 'a.png').values)).toEqual(new Set([2]));
  });
});

describe('masks: video', () => {
  const frames = [0, 1, 2].map((index) => ({
    index,
    key: `p/media/clip/${index}.jpg`,
    ext: 'jpg',
  }));
  function clip(): ExportItem[] {
    return [
      exportItem(
        0,
        'clip',
        6,
        4,
        [
          box(CAR, 0, 0, 2, 2, { frame_index: 0, instance_id: 7 }),
          box(ROAD, 0, 3, 6, 1, { frame_index: 1, instance_id: 3 }),
          box(CAR, 2, 1, 2, 2, { frame_index: 1, instance_id: 7 }),
          box(CAR, 0, 0, 1, 1, { frame_index: 5, instance_id: 7 }),
        ],
        frames,
      ),
    ];
  }

  it('writes every frame and its mask, and one classes.txt for the video', async () => {
    const output = await render('instance_segmentation', 'instance', clip(), VIDEO_DATASET);
    expect([...output.sources]).toEqual(frames.map((f) => [`clip/frames/${f.index}.jpg`, f.key]));
    expect([...output.files.keys()]).toEqual([
      'clip/masks/0.png',
      'clip/masks/1.png',
      'clip/masks/2.png',
      CLASSES_FILE,
      LABELMAP_FILE,
    ]);
    // Instance 7 keeps value 1 from frame to frame.
    expect(rows(png(output, 'clip/masks/0.png').values, 6)).toEqual([
      [1, 1, 0, 0, 0, 0],
      [1, 1, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
    expect(rows(png(output, 'clip/masks/1.png').values, 6)).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 0, 1, 1, 0, 0],
      [0, 0, 1, 1, 0, 0],
      [2, 2, 2, 2, 2, 2],
    ]);
    expect(png(output, 'clip/masks/2.png').values).toEqual(new Array(24).fill(0));
    expect(output.files.get(CLASSES_FILE)).toBe('file: clip\n1 car\n2 road\n');
    expect(output.warnings).toEqual([
      'clip frame 5: frame is not in the video; annotation skipped',
    ]);
  });

  it('names binary frame masks after the frame, the class and the instance', async () => {
    const output = await render('instance_segmentation', 'individual_class', clip(), VIDEO_DATASET);
    expect([...output.files.keys()].sort()).toEqual([
      'clip/masks/0__car__1.png',
      'clip/masks/1__car__1.png',
      'clip/masks/1__road__2.png',
    ]);
    expect(output.sources.size).toBe(3);
    const semantic = await render(
      'semantic_segmentation',
      'aggregated_class',
      clip(),
      VIDEO_DATASET,
    );
    expect(rows(png(semantic, 'clip/masks/1.png').values, 6)[3]).toEqual([2, 2, 2, 2, 2, 2]);
    expect(semantic.files.get(CLASSES_FILE)).toBe('file: clip\n1 car\n2 road\n');
  });
});

describe('masks: shards', () => {
  it('concatenates classes.txt in shard order into what one shard writes', async () => {
    const whole = await render('instance_segmentation', 'instance', streetItems());
    const parts: Part[] = [];
    for (const [shard, item] of streetItems().entries()) {
      const output = await render('instance_segmentation', 'instance', [item]);
      parts.push({ shard, body: String(output.files.get(CLASSES_FILE)) });
    }
    const rule = masks.merges.find((r) => r.matches(CLASSES_FILE))!;
    let merged = '';
    const context = {
      exportName: 'x',
      createdAt: '',
      task: task('instance_segmentation'),
      dataset: DATASET,
    };
    for await (const chunk of rule.merge(async function* () {
      yield* parts;
    }, context))
      merged += String(chunk);
    expect(merged).toBe(whole.files.get(CLASSES_FILE));
    expect(masks.merges.some((r) => r.matches('a.png'))).toBe(false);
  });
});

describe('mask classes', () => {
  it('gives values by ascending id and file names safe and unique', () => {
    const classes = maskClasses({
      ...task('semantic_segmentation'),
      classes: [
        { id: 4, name: 'a_b', parent_id: null },
        { id: 3, name: 'a/b', parent_id: null },
        { id: 8, name: 'A/B', parent_id: null },
        { id: 1, name: '..\\x:*?"<>|\u0007.', parent_id: null },
      ],
    });
    expect([...classes.values()].map((c) => [c.id, c.value, c.fileName])).toEqual([
      [1, 1, '__x________'],
      [3, 2, 'a_b'],
      [4, 3, 'a_b (2)'],
      [8, 4, 'A_B (3)'],
    ]);
    expect(safeName('...')).toBe('_');
  });
});

describe('masks: labelmap.txt', () => {
  it('maps every value of aggregated masks to its class and a colour, for the whole export', async () => {
    const output = await render('semantic_segmentation', 'aggregated_class', streetItems());
    expect(output.files.get(LABELMAP_FILE)).toBe(
      [
        '# label:color_rgb:parts:actions',
        '# value N of a mask is the class on line N below (0: background)',
        'background:0,0,0::',
        // Values by ascending id: car (id 2), road (id 5), sky/cloud (id 9); VOC palette colours of the ids.
        'car:0,128,0::',
        'road:128,0,128::',
        'sky/cloud:192,0,0::',
        '',
      ].join('\n'),
    );
  });

  it('keeps a class colour when other classes come and go', () => {
    expect(classColour(2)).toEqual([0, 128, 0]);
    expect(classColour(0)).toEqual([0, 0, 0]);
    expect(classColour(21)).toEqual([128, 64, 128]);
  });

  it('names instance masks a per-image value rule and is written once per shard', async () => {
    const output = await render('instance_segmentation', 'instance', streetItems());
    expect(String(output.files.get(LABELMAP_FILE))).toContain('instance numbers');
    expect(masks.merges.some((r) => r.matches(LABELMAP_FILE))).toBe(true);
  });
});

describe('masks: RLE mask annotations', () => {
  it('paints a mask exactly, in paint order with the other annotations', async () => {
    // A 4x3 mask: column-major counts over [0,1,1,0 / 0,1,0,0 / 1,1,0,1] (rows) → columns.
    const bitmap = [0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1];
    const rle = rleFromBitmap(bitmap, 4, 3);
    const items = [
      exportItem(0, 'm.png', 4, 3, [
        box(ROAD, 0, 0, 4, 3),
        annotation({ type: 'Mask', class_id: CAR, mask: rle }),
      ]),
    ];
    const output = await render('semantic_segmentation', 'aggregated_class', items);
    // road 2, car 1 (values by ascending id)
    expect(png(output, 'm.png').values).toEqual(bitmap.map((v) => (v ? 1 : 2)));
    expect(output.warnings).toEqual([]);
  });

  it('skips a mask whose size is not the image size, saying so', async () => {
    const rle = rleFromBitmap([1, 1], 2, 1);
    const items = [
      exportItem(0, 'm.png', 4, 3, [annotation({ type: 'Mask', class_id: CAR, mask: rle })]),
    ];
    const output = await render('semantic_segmentation', 'aggregated_class', items);
    expect(output.warnings).toEqual(['m.png frame 0: mask of 2x1 on an image of 4x3 skipped']);
  });
});
