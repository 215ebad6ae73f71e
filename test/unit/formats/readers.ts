/**
 * Readers of every format that share no code with the renderers (an XML parser for VOC, a CSV
 * parser for CSV, plain arithmetic for the rest): each reads one dataset of an exported archive
 * back into objects, checking on the way what the tools that read the format rely on. The round
 * trip of test/integration/formats.test.ts uses them; the contract suite checks that every
 * registered format has one.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { findFormat } from '../../../shared/formats/index';
import type { Annotation, Dataset, DatasetItem, Point, Task } from '../../../shared/model/types';
import { safeName, withoutWhitespace } from '../../../shared/names';
import type { OpenedZip } from '../../helpers/zip';

/** x_min, y_min, x_max, y_max in continuous pixels. */
export type Box4 = [number, number, number, number];

/** One object as a format gives it back: where it is, its class, its box (none for a Tag). */
export interface Found {
  item: string;
  frame: number;
  className: string;
  box: Box4 | null;
}

export function corners(box: NonNullable<Annotation['box']>): Point[] {
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const angle = box.orientation ?? 0;
  return [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ].map(([sx, sy]) => {
    const dx = (sx! * box.w) / 2;
    const dy = (sy! * box.h) / 2;
    return {
      x: cx + dx * Math.cos(angle) - dy * Math.sin(angle),
      y: cy + dx * Math.sin(angle) + dy * Math.cos(angle),
    };
  });
}

export function boundsOf(points: Point[], width: number, height: number): Box4 {
  const xs = points.map((p) => Math.min(Math.max(p.x, 0), width));
  const ys = points.map((p) => Math.min(Math.max(p.y, 0), height));
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/**
 * An annotation as the store holds it, as the object every format should write: a box's corners
 * or a polygon's vertices, boxed and clipped to the item; no box for a Tag.
 */
export function storedObject(
  annotation: Annotation,
  item: Pick<DatasetItem, 'name' | 'width' | 'height'>,
  className: string,
): Found {
  const { type, box, poly } = annotation;
  const points = type === 'Box' ? corners(box!) : type === 'Poly' ? poly!.flat() : [];
  return {
    item: item.name,
    frame: annotation.frame_index,
    className,
    box: points.length > 0 ? boundsOf(points, item.width, item.height) : null,
  };
}

export interface DatasetView {
  folder: string;
  items: DatasetItem[];
  media: 'image' | 'video';
  zip: OpenedZip;
  root: string;
  task: Task;
}

/** What a reader sees of one dataset in an archive: its folder under annotations/ and its items. */
export function datasetView(
  zip: OpenedZip,
  task: Task,
  dataset: Dataset,
  items: DatasetItem[],
  formatId?: string,
): DatasetView {
  // Formats with paths in whitespace-separated lines name folders without whitespace.
  const whitespaceFree = formatId ? findFormat(formatId)?.whitespaceFreePaths : false;
  const folder = safeName(whitespaceFree ? withoutWhitespace(dataset.name) : dataset.name);
  return { zip, folder, items, media: dataset.media, root: `annotations/${folder}/`, task };
}

/** A YOLO line's fields: the class and four coordinates, or Keras' four corners and the class. */
type FiveNumbers = [number, number, number, number, number];

/** A YOLO box, its centre and size normalised to [0,1], in the item's pixels. */
function fromCentre([xc, yc, w, h]: Box4, item: Pick<DatasetItem, 'width' | 'height'>): Box4 {
  return [
    (xc - w / 2) * item.width,
    (yc - h / 2) * item.height,
    (xc + w / 2) * item.width,
    (yc + h / 2) * item.height,
  ];
}

export type Reader = (view: DatasetView) => Promise<Found[]>;

/** The reader of each text format (masks: readMasks), each from the files alone. */
export const READERS: Record<string, Reader> = {
  coco: readCoco,
  coco_metadata: readCoco,
  async csv({ zip, root }) {
    const rows = parseCsv(await zip.text(`${root}annotations.csv`), { columns: true }) as Array<
      Record<string, string>
    >;
    return rows.map((row) => {
      const width = Number(row.width);
      const height = Number(row.height);
      let box: Box4 | null = null;
      if (row.points !== '') {
        const points = JSON.parse(row.points!) as number[][] | number[][][];
        const flat = (
          Array.isArray(points[0]![0]) ? (points as number[][][]).flat() : points
        ) as number[][];
        const rotation = row.rotation === '' ? 0 : Number(row.rotation);
        const isBox = flat.length === 2;
        const vertices =
          isBox && rotation !== 0
            ? corners({
                x: flat[0]![0]!,
                y: flat[0]![1]!,
                w: flat[1]![0]! - flat[0]![0]!,
                h: flat[1]![1]! - flat[0]![1]!,
                orientation: rotation,
              })
            : flat.map(([x, y]) => ({ x: x!, y: y! }));
        box = boundsOf(vertices, width, height);
      }
      return { item: row.image_name!, frame: 0, className: row.class!, box };
    });
  },
  async innotescus_json({ zip, root, items }) {
    const classes = JSON.parse(await zip.text(`${root}classes.json`)) as Array<{
      id: number;
      name: string;
    }>;
    const listed = JSON.parse(await zip.text(`${root}dataset_items.json`)) as Array<{
      index: number;
      name: string;
      url: string;
      width: number;
      height: number;
    }>;
    expect(listed.map((i) => i.name)).toEqual(items.map((i) => i.name));
    for (const item of listed) expect(zip.names.some((n) => n.startsWith(item.url))).toBe(true);
    const annotations = JSON.parse(await zip.text(`${root}annotations.json`)) as Annotation[];
    expect(
      Array.isArray(JSON.parse(await zip.text(`${root}annotation_metadata_definitions.json`))),
    ).toBe(true);
    const itemDefinitions = JSON.parse(
      await zip.text(`${root}dataset_item_metadata_definitions.json`),
    ) as unknown;
    expect(itemDefinitions).toEqual({ fields: expect.any(Array) });
    return annotations.map((a) =>
      storedObject(
        a,
        listed.find((i) => i.index === a.dataset_item_index)!,
        classes.find((c) => c.id === a.class_id)!.name,
      ),
    );
  },
  async pascal_voc({ zip, root, items }) {
    const parser = new XMLParser({ isArray: (name) => name === 'object' });
    // VOC readers (Datumaro's, torchvision's) find the images of a subset by their stems here.
    const imageSet = (await zip.text(`${root}ImageSets/Main/train.txt`)).split('\n');
    expect(imageSet.filter((l) => l !== '')).toEqual(items.map((i) => stemOf(i.name)));
    const found: Found[] = [];
    for (const item of items) {
      const xml = parser.parse(await zip.text(`${root}${stemOf(item.name)}.xml`)) as {
        annotation: {
          filename: string;
          object?: Array<{
            name: string;
            bndbox: Record<'xmin' | 'ymin' | 'xmax' | 'ymax', number>;
          }>;
        };
      };
      expect(xml.annotation.filename).toBe(item.name);
      for (const object of xml.annotation.object ?? []) {
        const b = object.bndbox;
        // VOC pixels are 1-based and inclusive: pixel xmin starts at continuous xmin - 1.
        found.push({
          item: item.name,
          frame: 0,
          className: String(object.name),
          box: [b.xmin - 1, b.ymin - 1, b.xmax, b.ymax],
        });
      }
    }
    return found;
  },
  async yolo_darknet({ zip, root, folder, items }) {
    const labels = (await zip.text(`${root}darknet.labels`)).split('\n').filter((l) => l !== '');
    // Darknet's own files: obj.data names the list and the class names it trains on.
    const data = Object.fromEntries(
      (await zip.text('obj.data'))
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => l.split('=').map((part) => part.trim()) as [string, string]),
    );
    expect(Number(data.classes)).toBe(labels.length);
    expect((await zip.text(data.names!)).split('\n').filter((l) => l !== '')).toEqual(labels);
    const list = (await zip.text(data.train!)).split('\n').filter((l) => l !== '');
    expect(zip.names).toContain(data.valid);
    const found: Found[] = [];
    for (const item of items) {
      const text = await zip.text(`${root}${stemOf(item.name)}.txt`);
      // Each image is listed, is in the archive, and has its labels beside it, as Darknet reads them.
      const image = `datasets/${folder}/${item.name}`;
      expect(list).toContain(image);
      expect(zip.names).toContain(image);
      expect(await zip.text(`${stemOf(image)}.txt`)).toBe(text);
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const [index, ...centre] = line.split(' ').map(Number) as FiveNumbers;
        const box = fromCentre(centre, item);
        found.push({ item: item.name, frame: 0, className: labels[index]!, box });
      }
    }
    return found;
  },
  async yolo_keras({ zip, root, folder, items }) {
    const classes = (await zip.text(`${root}yolokeras.classes.txt`))
      .split('\n')
      .filter((l) => l !== '');
    const lines = (await zip.text(`${root}yolokeras.annotations.txt`))
      .split('\n')
      .filter((l) => l !== '');
    expect(lines).toHaveLength(items.length);
    const found: Found[] = [];
    for (const item of items) {
      const path = `datasets/${folder}/${item.name}`;
      const line = lines.find((l) => l === path || l.startsWith(`${path} `))!;
      expect(line, path).toBeDefined();
      // The image the line points at is in the archive, and a reader splitting on whitespace
      // (keras-yolo3's) finds it as the line's first field.
      expect(zip.names).toContain(path);
      expect(line.split(/\s+/)[0]).toBe(path);
      for (const box of line
        .slice(path.length)
        .trim()
        .split(' ')
        .filter((b) => b !== '')) {
        const [xMin, yMin, xMax, yMax, index] = box.split(',').map(Number) as FiveNumbers;
        found.push({
          item: item.name,
          frame: 0,
          className: classes[index]!,
          box: [xMin, yMin, xMax, yMax],
        });
      }
    }
    return found;
  },
  yolo_ultralytics: readUltralytics,
  async kitti({ zip, root, items, task }) {
    const found: Found[] = [];
    for (const item of items) {
      const text = await zip.text(`${root}${stemOf(item.name)}.txt`);
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const fields = line.split(' ');
        expect(fields).toHaveLength(15);
        const type = fields[0]!;
        const className =
          task.classes.find((c) => c.name.replace(/\s/g, '_') === type)?.name ?? type;
        const [left, top, right, bottom] = fields.slice(4, 8).map(Number) as Box4;
        found.push({ item: item.name, frame: 0, className, box: [left, top, right, bottom] });
      }
    }
    return found;
  },
};

/** Ultralytics' image suffixes (IMG_FORMATS): other files under images/ are not trained on. */
const ULTRALYTICS_IMAGE_SUFFIXES = new Set([
  'bmp',
  'dng',
  'jpeg',
  'jpg',
  'mpo',
  'png',
  'tif',
  'tiff',
  'webp',
  'pfm',
  'heic',
]);

/** Ultralytics' img2label_paths: the last `/images/` of the path becomes `/labels/`, the suffix `.txt`. */
function ultralyticsLabelOf(imagePath: string): string {
  const absolute = `/extracted/${imagePath}`;
  const at = absolute.lastIndexOf('/images/');
  const swapped = absolute.slice(0, at) + '/labels/' + absolute.slice(at + '/images/'.length);
  const dot = swapped.lastIndexOf('.');
  return (dot >= 0 ? swapped.slice(0, dot) : swapped).slice('/extracted/'.length) + '.txt';
}

/**
 * A reader written from Ultralytics' rules (check_det_dataset, img2label_paths,
 * verify_image_label): data.yaml with train and val folders under `path` (empty: the file's own
 * folder) and `names` by index; every image under the train folder has its label file where
 * img2label_paths looks; a line is `class x y w h` or, for segments, `class x1 y1 x2 y2 ...` with
 * at least 3 points; class indices below the class count; coordinates normalised to [0, 1].
 */
async function readUltralytics({ zip, folder, items, task }: DatasetView): Promise<Found[]> {
  const data = parseYaml(await zip.text('data.yaml')) as {
    path: string | null;
    train: string;
    val: string;
    nc?: number;
    names: Record<string, string>;
  };
  expect(data.path ?? '').toBe('');
  const names = Object.entries(data.names).sort(([a], [b]) => Number(a) - Number(b));
  expect(names.map(([index]) => Number(index))).toEqual(names.map((_, i) => i));
  const nc = names.length;
  if (data.nc !== undefined) expect(data.nc).toBe(nc);
  // Without a split, validation is the train folder: both must hold images.
  for (const dir of [data.train, data.val])
    expect(zip.names.some((n) => n.startsWith(`${dir}/`))).toBe(true);
  const segmentation = task.type !== 'object_detection';
  const found: Found[] = [];
  for (const item of items) {
    const image = `${data.train}/${folder}/${item.name}`;
    expect(zip.names).toContain(image);
    expect(ULTRALYTICS_IMAGE_SUFFIXES.has(image.split('.').pop()!.toLowerCase())).toBe(true);
    const rows = (await zip.text(ultralyticsLabelOf(image)))
      .trim()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split(/\s+/).map(Number));
    const isSegment = rows.some((r) => r.length > 6);
    expect(isSegment, `${image}: segment labels exactly for segmentation tasks`).toBe(
      segmentation && rows.length > 0,
    );
    for (const [cls, ...values] of rows) {
      expect(Number.isInteger(cls) && cls! >= 0 && cls! < nc, `${image}: class ${cls}`).toBe(true);
      for (const v of values) expect(v >= 0 && v <= 1, `${image}: ${v} normalised`).toBe(true);
      let box: Box4;
      if (isSegment) {
        expect(values.length % 2, `${image}: x y pairs`).toBe(0);
        expect(values.length / 2).toBeGreaterThanOrEqual(3);
        const xs = values.filter((_, i) => i % 2 === 0).map((x) => x * item.width);
        const ys = values.filter((_, i) => i % 2 === 1).map((y) => y * item.height);
        box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      } else {
        expect(values).toHaveLength(4);
        box = fromCentre(values as Box4, item);
      }
      found.push({ item: item.name, frame: 0, className: names[cls!]![1], box });
    }
  }
  return found;
}

function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

async function readCoco({ zip, root, items, media }: DatasetView): Promise<Found[]> {
  const files =
    media === 'video' ? items.map((i) => `${root}${i.name}.json`) : [`${root}coco.json`];
  const found: Found[] = [];
  for (const [n, file] of files.entries()) {
    const coco = JSON.parse(await zip.text(file)) as {
      images: Array<{ id: number; file_name: string }>;
      categories: Array<{ id: number; name: string }>;
      annotations: Array<{ image_id: number; category_id: number; bbox: number[] }>;
    };
    for (const a of coco.annotations) {
      const image = coco.images.find((i) => i.id === a.image_id)!;
      const [x, y, w, h] = a.bbox as Box4;
      found.push({
        item: media === 'video' ? items[n]!.name : image.file_name,
        frame: media === 'video' ? image.id : 0,
        className: coco.categories.find((c) => c.id === a.category_id)!.name,
        box: [x, y, x + w, y + h],
      });
    }
  }
  return found;
}

/** Per mask value, the pixel box of its pixels: [first column, first row, last column + 1, last row + 1]. */
function valueBoxes(png: Uint8Array): Map<number, Box4> {
  const image = PNG.sync.read(Buffer.from(png));
  const boxes = new Map<number, Box4>();
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const value = image.data[(y * image.width + x) * 4]!;
      if (value === 0) continue;
      const box = boxes.get(value);
      if (!box) boxes.set(value, [x, y, x + 1, y + 1]);
      else {
        box[0] = Math.min(box[0], x);
        box[1] = Math.min(box[1], y);
        box[2] = Math.max(box[2], x + 1);
        box[3] = Math.max(box[3], y + 1);
      }
    }
  }
  return boxes;
}

/** classes.txt: `file: {name}` then `{value} {class}` lines, per image or video. */
function parseMaskClasses(text: string): Map<string, Map<number, string>> {
  const files = new Map<string, Map<number, string>>();
  let current = new Map<number, string>();
  for (const line of text.split('\n').filter((l) => l !== '')) {
    if (line.startsWith('file: ')) files.set(line.slice(6), (current = new Map()));
    else {
      const space = line.indexOf(' ');
      current.set(Number(line.slice(0, space)), line.slice(space + 1));
    }
  }
  return files;
}

export async function readMasks(view: DatasetView, kind: string): Promise<Found[]> {
  const { zip, root, items, media } = view;
  const found: Found[] = [];
  const places = items.flatMap((item) =>
    media === 'video'
      ? Array.from({ length: item.num_frames }, (_, frame) => ({
          item,
          frame,
          base: `${item.name}/masks/${frame}`,
        }))
      : [{ item, frame: 0, base: stemOf(item.name) }],
  );
  if (kind === 'individual_class') {
    for (const { item, frame, base } of places) {
      const prefix = `${root}${base}__`;
      for (const name of zip.names.filter((n) => n.startsWith(prefix) && n.endsWith('.png'))) {
        const [className] = name.slice(prefix.length, -'.png'.length).split('__');
        const boxes = valueBoxes(await zip.bytes(name));
        expect([...boxes.keys()], name).toEqual([255]);
        found.push({ item: item.name, frame, className: className!, box: boxes.get(255)! });
      }
    }
    return found;
  }
  const classes = parseMaskClasses(await zip.text(`${root}classes.txt`));
  // labelmap.txt, read as CVAT's and Datumaro's mask readers do: `#` lines skipped, then one
  // `name:r,g,b:parts:actions` line per value from 0 (background).
  const labelmap = (await zip.text(`${root}labelmap.txt`))
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
  expect(labelmap[0]).toEqual(['background', '0,0,0', '', '']);
  for (const { item, frame, base } of places) {
    const values = classes.get(item.name)!;
    expect(values, `classes.txt lists ${item.name}`).toBeDefined();
    if (kind === 'aggregated_class')
      for (const [value, name] of values) expect(labelmap[value]![0]).toBe(name.replace(/:/g, '_'));
    for (const [value, box] of valueBoxes(await zip.bytes(`${root}${base}.png`))) {
      found.push({ item: item.name, frame, className: values.get(value)!, box });
    }
  }
  return found;
}

/**
 * The reader of a text format, or an error naming the format and where its reader goes: a format
 * added to the registry needs one before its archives can be checked.
 */
export function readerFor(formatId: string): Reader {
  const reader = Object.hasOwn(READERS, formatId) ? READERS[formatId] : undefined;
  if (!reader) {
    throw new Error(
      `format "${formatId}" has no reader: add one to READERS in test/unit/formats/readers.ts`,
    );
  }
  return reader;
}
