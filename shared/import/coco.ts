import { ValidationError } from '../errors';
import { decodeRleString } from '../masks/rle';
import { MAX_IMAGE_SIDE } from '../model/validate';
import { mediaKeyProblem, projectIdProblem, segmentProblem } from '../store/segments';
import type {
  Annotation,
  Dataset,
  DatasetItem,
  MaskGeometry,
  MetaData,
  MetadataValue,
  Point,
  Project,
  Task,
  TaskClass,
} from '../model/types';

/** A COCO id as real files write them: an integer mostly, sometimes a float or a string. */
type CocoId = number | string;

type CocoObject = Record<string, unknown>;

export type ImportTaskType = 'classification' | 'object_detection' | 'instance_segmentation';

export interface CocoImportOptions {
  projectId: string;
  projectName?: string;
  datasetId?: string;
  datasetName?: string;
  taskId?: string;
  taskName?: string;
  /**
   * Default: classification when no annotation has geometry, instance segmentation when one is
   * a polygon or a mask that is not a crowd region, else object detection.
   */
  taskType?: ImportTaskType;
  now?: Date;
}

/** Image bytes by COCO `file_name`; undefined when the file is not there. */
export type ImageSource = (fileName: string) => Promise<Uint8Array | undefined>;

/** Where the import writes: the store writer's methods it uses. */
export interface StoreSink {
  project(project: Project): Promise<void>;
  dataset(dataset: Dataset): Promise<void>;
  task(task: Task): Promise<void>;
  items(datasetId: string, items: Iterable<DatasetItem>): Promise<void>;
  annotations(taskId: string, datasetId: string, annotations: Iterable<Annotation>): Promise<void>;
  media(datasetId: string, mediaKey: string, body: Uint8Array, contentType: string): Promise<void>;
}

export interface CocoImportResult {
  project: Project;
  dataset: Dataset;
  task: Task;
  items: number;
  annotations: number;
  boxes: number;
  polygons: number;
  masks: number;
  tags: number;
  warnings: string[];
}

const MAX_LISTED_PROBLEMS = 50;

/**
 * Channels and bits per channel from a PNG or JPEG header (3 × 8 when the header says nothing),
 * and the pixel size when the header gives it.
 */
export function imageFormat(bytes: Uint8Array): {
  channels: number;
  bits: number;
  width?: number;
  height?: number;
} {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 26 && png.every((b, i) => bytes[i] === b)) {
    const depth = bytes[24]!;
    const channels = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }[bytes[25]!] ?? 3;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return {
      channels,
      bits: bytes[25] === 3 ? 8 : depth,
      width: view.getUint32(16),
      height: view.getUint32(20),
    };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1]!;
      const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      const isFrame =
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame)
        return {
          channels: bytes[at + 9]!,
          bits: bytes[at + 4]!,
          height: (bytes[at + 5]! << 8) | bytes[at + 6]!,
          width: (bytes[at + 7]! << 8) | bytes[at + 8]!,
        };
      at += 2 + length;
    }
  }
  return { channels: 3, bits: 8 };
}

export function contentTypeOf(fileName: string): string {
  const ext = fileName.toLowerCase().split('.').pop();
  return (
    {
      png: 'image/png',
      jpg: 'image/jpeg',
      jpeg: 'image/jpeg',
      webp: 'image/webp',
      bmp: 'image/bmp',
      tif: 'image/tiff',
      tiff: 'image/tiff',
    }[ext ?? ''] ?? 'application/octet-stream'
  );
}

/**
 * The axis-aligned box a single 4-point ring traces, or undefined. Detection files (ours among
 * them) write a box's segmentation as its four corners: such an object is a box, not a polygon.
 */
function rectangleOf(rings: Point[][]): Annotation['box'] | undefined {
  if (rings.length !== 1 || rings[0]!.length !== 4) return undefined;
  const ring = rings[0]!;
  const xs = [...new Set(ring.map((p) => p.x))];
  const ys = [...new Set(ring.map((p) => p.y))];
  if (xs.length !== 2 || ys.length !== 2) return undefined;
  // Consecutive corners share x or y: a rectangle traced around, not a bow tie.
  for (let i = 0; i < 4; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % 4]!;
    if ((a.x === b.x) === (a.y === b.y)) return undefined;
  }
  const [x0, x1] = xs.sort((a, b) => a - b) as [number, number];
  const [y0, y1] = ys.sort((a, b) => a - b) as [number, number];
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0, orientation: null };
}

/**
 * An image by its COCO file_name: as written when that is a relative path of the folder; else
 * (Windows separators, absolute paths or paths of the machine that wrote the file) the longest
 * tail of the path that the folder holds: `C:\data\batch_1\x.jpg` is found as `batch_1/x.jpg`.
 */
async function locateImage(
  fileName: string,
  readImage: ImageSource,
): Promise<{ name: string; bytes: Uint8Array } | null> {
  const segments = fileName
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.' && !/^[A-Za-z]:$/.test(s));
  const lastParent = segments.lastIndexOf('..');
  const tails = segments.slice(lastParent + 1).map((_, i, rest) => rest.slice(i).join('/'));
  // Only names that can be media keys (relative paths of safe segments) are looked for.
  for (const name of new Set([fileName, ...tails])) {
    if (name.endsWith('/') || mediaKeyProblem(name)) continue;
    const bytes = await readImage(name);
    if (bytes) return { name, bytes };
  }
  return null;
}

/** The ids the import names its project, dataset and task with, each checked as keys need them. */
function idProblems(options: CocoImportOptions, datasetId: string, taskId: string): string[] {
  const problems: string[] = [];
  const projectProblem = projectIdProblem(options.projectId);
  if (projectProblem)
    problems.push(`project id ${JSON.stringify(options.projectId)} ${projectProblem}`);
  for (const [what, id] of [
    ['dataset id', datasetId],
    ['task id', taskId],
  ] as const) {
    const problem = segmentProblem(id);
    if (problem) problems.push(`${what} ${JSON.stringify(id)} ${problem}`);
  }
  return problems;
}

const isObject = (v: unknown): v is CocoObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is CocoId =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');

/** Fields the import reads; every other field is counted and named in a warning. */
const READ_FIELDS = {
  file: new Set(['images', 'categories', 'annotations']),
  image: new Set(['id', 'file_name', 'width', 'height', 'attributes']),
  category: new Set(['id', 'name', 'supercategory']),
  // `area` is not kept but computed again from the geometry by every export.
  annotation: new Set([
    'id',
    'image_id',
    'category_id',
    'segmentation',
    'bbox',
    'iscrowd',
    'area',
    'attributes',
  ]),
};

/** How a warning names a field that is not kept: COCO's well-known ones by what they hold. */
const IGNORED_KINDS: Record<string, string> = {
  'annotations.keypoints': 'keypoints',
  'annotations.num_keypoints': 'num_keypoints',
  'categories.keypoints': 'keypoint names of categories',
  'categories.skeleton': 'keypoint skeletons of categories',
  'annotations.caption': 'captions',
  'annotations.segments_info': 'panoptic segments',
  'file.licenses': 'licenses',
  'file.info': 'info',
};

/** Counts of what the import does not carry or changes, with the first few places of each. */
class Tally {
  private readonly counts = new Map<string, { count: number; places: string[] }>();

  add(what: string, place?: string, count = 1): void {
    const entry = this.counts.get(what) ?? { count: 0, places: [] };
    entry.count += count;
    if (place && entry.places.length < 3) entry.places.push(place);
    this.counts.set(what, entry);
  }

  lines(): string[] {
    return [...this.counts].map(
      ([what, { count, places }]) =>
        `${what}: ${count}${places.length > 0 ? ` (${places.join(', ')}${count > places.length ? ', ...' : ''})` : ''}`,
    );
  }
}

/** Notes every field of `value` the import does not read. */
function tallyFields(
  value: CocoObject,
  kind: keyof typeof READ_FIELDS,
  tally: Tally,
  scope: string,
) {
  for (const [field, content] of Object.entries(value)) {
    if (READ_FIELDS[kind].has(field) || content === undefined || content === null) continue;
    const key = `${scope}.${field}`;
    const label = IGNORED_KINDS[key] ?? `"${field}" of ${scope === 'file' ? 'the file' : scope}`;
    // A list at the top level (licenses) counts its entries; a field of an entry counts once.
    const count = scope === 'file' && Array.isArray(content) ? content.length : 1;
    tally.add(`not kept: ${label}`, undefined, count);
  }
}

/** A metadata value the store can hold (DESIGN §4: scalars and lists of them); undefined else. */
function metadataValue(value: unknown): MetadataValue | undefined {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    return typeof value === 'number' && !Number.isFinite(value)
      ? undefined
      : (value as MetadataValue);
  }
  if (Array.isArray(value)) {
    const items = value.map(metadataValue);
    return items.every((v) => v !== undefined) ? (items as MetadataValue[]) : undefined;
  }
  return undefined;
}

/** `attributes` as metadata: entries the store cannot hold (nested objects) are counted and left out. */
function attributesOf(value: unknown, tally: Tally, where: string): MetaData {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    tally.add('not kept: attributes that are not an object of values', where);
    return {};
  }
  const meta: MetaData = {};
  for (const [key, content] of Object.entries(value)) {
    const kept = metadataValue(content);
    if (kept === undefined) tally.add('not kept: attribute values that are objects', where);
    else meta[key] = kept;
  }
  return meta;
}

/** The key that makes ids of different spellings (1, 1.0, "1") meet. */
const idKey = (id: CocoId) => String(id);

/** COCO polygon lists `[[x1,y1,x2,y2,...],...]` as rings: the lists that are polygons, and how many were not. */
function polygonRings(segmentation: unknown[]): { rings: Point[][]; invalid: number } {
  const rings: Point[][] = [];
  let invalid = 0;
  for (const flat of segmentation) {
    if (
      !Array.isArray(flat) ||
      flat.length < 6 ||
      flat.length % 2 !== 0 ||
      !flat.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      invalid++;
      continue;
    }
    const ring: Point[] = [];
    for (let i = 0; i < flat.length; i += 2)
      ring.push({ x: flat[i] as number, y: flat[i + 1] as number });
    rings.push(ring);
  }
  return { rings, invalid };
}

/**
 * A COCO RLE (`{size: [h, w], counts}` with counts compressed as pycocotools writes them or as a
 * list) as a mask of the image, or why it cannot be one.
 */
function maskOf(
  segmentation: CocoObject,
  width: number,
  height: number,
): MaskGeometry | { problem: string } {
  const size = segmentation.size;
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)
  ) {
    return { problem: 'RLE without a [height, width] size' };
  }
  const [h, w] = size as [number, number];
  if (h !== height || w !== width) return { problem: "RLE whose size is not its image's" };
  let counts: number[];
  if (typeof segmentation.counts === 'string') {
    try {
      counts = decodeRleString(segmentation.counts);
    } catch {
      return { problem: 'RLE whose counts string is not one pycocotools writes' };
    }
  } else if (
    Array.isArray(segmentation.counts) &&
    segmentation.counts.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)
  ) {
    counts = segmentation.counts as number[];
  } else {
    return { problem: 'RLE whose counts are neither a string nor a list of counts' };
  }
  const total = counts.reduce((sum, v) => sum + v, 0);
  if (total !== h * w) return { problem: 'RLE whose counts do not cover its size' };
  return { size: [h, w], counts };
}

interface ReadGeometry {
  geometry: Pick<Annotation, 'type' | 'box' | 'poly' | 'mask'> | null;
  /** What was not usable and fell back to the bbox (or to nothing). */
  fallback?: string;
}

/**
 * An annotation's geometry: an RLE mask, a polygon (a rectangle traced around as a box, as
 * detection files write boxes), else its bbox; null when it has none (a label-only annotation).
 */
function geometryOf(a: CocoObject, width: number, height: number): ReadGeometry {
  let fallback: string | undefined;
  let segmentation = a.segmentation;
  // pycocotools also takes a list holding one RLE.
  if (Array.isArray(segmentation) && segmentation.length === 1 && isObject(segmentation[0]))
    segmentation = segmentation[0];
  if (isObject(segmentation)) {
    const mask = maskOf(segmentation, width, height);
    if (!('problem' in mask)) {
      if (mask.counts.some((v, i) => i % 2 === 1 && v > 0))
        return { geometry: { type: 'Mask', box: null, poly: null, mask } };
      fallback = 'empty RLE, imported as its bbox';
    } else fallback = `${mask.problem}, imported as its bbox`;
  } else if (Array.isArray(segmentation) && segmentation.length > 0) {
    const { rings, invalid } = polygonRings(segmentation);
    if (rings.length > 0) {
      const rectangle = rectangleOf(rings);
      return {
        geometry: rectangle
          ? { type: 'Box', box: rectangle, poly: null }
          : { type: 'Poly', box: null, poly: rings },
        ...(invalid > 0 ? { fallback: 'polygon parts of fewer than 3 points left out' } : {}),
      };
    }
    fallback = 'segmentation that is no polygon list, imported as its bbox';
  } else if (segmentation !== undefined && segmentation !== null && !Array.isArray(segmentation)) {
    fallback = 'segmentation that is neither polygons nor RLE, imported as its bbox';
  }
  const bbox = a.bbox;
  if (
    Array.isArray(bbox) &&
    bbox.length === 4 &&
    bbox.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    const [x, y, w, h] = bbox as [number, number, number, number];
    return {
      geometry: { type: 'Box', box: { x, y, w, h, orientation: null }, poly: null },
      fallback,
    };
  }
  return {
    geometry: null,
    ...(fallback ? { fallback: fallback.replace(/, imported as its bbox$/, ' and no bbox') } : {}),
  };
}

/**
 * Builds a project store from a COCO file and its images (DESIGN §13): one dataset of the images in
 * file order, one task whose classes are the categories (a supercategory is kept as the class's,
 * and makes the category it names the parent). Polygons become Poly annotations, RLE masks Mask
 * annotations (crowd regions keep `is_crowd`), a segmentation that is its bbox's rectangle or
 * absent becomes a Box. Source ids are kept as `coco_id` metadata of items and annotations.
 * Whatever is not kept is counted in a warning per kind; every problem of the file is listed
 * before anything is written.
 */
export async function importCoco(
  value: unknown,
  readImage: ImageSource,
  sink: StoreSink,
  options: CocoImportOptions,
): Promise<CocoImportResult> {
  const warnings: string[] = [];
  const tally = new Tally();
  const datasetId = options.datasetId ?? 'images';
  const taskId = options.taskId ?? 'labels';
  const problems = idProblems(options, datasetId, taskId);
  if (problems.length > 0) throw new ValidationError(problems);
  if (!isObject(value)) throw new ValidationError(['the COCO file is not a JSON object']);
  for (const field of ['images', 'categories'] as const)
    if (!Array.isArray(value[field])) problems.push(`the COCO file has no "${field}" list`);
  if (value.annotations !== undefined && !Array.isArray(value.annotations))
    problems.push('the COCO file\'s "annotations" is not a list');
  if (problems.length > 0) throw new ValidationError(problems);
  tallyFields(value, 'file', tally, 'file');
  const now = (options.now ?? new Date()).toISOString();

  // Categories. Class ids must be integers ≥ 1: files counting from 0 are shifted as a whole, and
  // files with other ids (strings, fractions) are numbered by position.
  const categories = (value.categories as unknown[]).filter((c, i) => {
    if (isObject(c)) return true;
    problems.push(`categories[${i}] is not an object`);
    return false;
  }) as CocoObject[];
  categories.forEach((c, i) => {
    if (!isId(c.id)) problems.push(`categories[${i}].id is missing`);
    if (typeof c.name !== 'string' || c.name === '')
      problems.push(`categories[${i}].name is missing`);
    tallyFields(c, 'category', tally, 'categories');
  });
  const keys = categories.map((c) => (isId(c.id) ? idKey(c.id) : ''));
  if (new Set(keys).size !== keys.length) problems.push('category ids repeat');
  const integerIds = categories.every((c) => Number.isInteger(c.id));
  const numbers = categories.map((c) => c.id as number);
  const shift =
    integerIds && numbers.length > 0 && Math.min(...numbers) < 1 ? 1 - Math.min(...numbers) : 0;
  if (!integerIds)
    warnings.push('category ids are not all integers: classes are numbered 1.. in file order');
  else if (shift > 0)
    warnings.push(`category ids start below 1: every class id is the category id + ${shift}`);
  const classIdOf = new Map(
    categories.map((c, i) => [keys[i]!, integerIds ? (c.id as number) + shift : i + 1]),
  );
  const byName = new Map(categories.map((c, i) => [c.name, classIdOf.get(keys[i]!)!]));
  const classes: TaskClass[] = categories.map((c, i) => {
    const id = classIdOf.get(keys[i]!)!;
    const supercategory =
      typeof c.supercategory === 'string' && c.supercategory !== '' ? c.supercategory : undefined;
    const parent = supercategory !== undefined ? byName.get(supercategory) : undefined;
    const parentId = parent !== undefined && parent !== id ? parent : null;
    // A supercategory that names the parent is the parent's name already: only others are kept.
    return {
      id,
      name: String(c.name ?? ''),
      parent_id: parentId,
      ...(supercategory !== undefined && parentId === null ? { supercategory } : {}),
    };
  });

  // Images.
  const items: DatasetItem[] = [];
  const itemOf = new Map<string, DatasetItem>();
  const media: Array<{ key: string; bytes: Uint8Array }> = [];
  const names = new Set<string>();
  for (const [index, image] of (value.images as unknown[]).entries()) {
    const where = `images[${index}]`;
    if (!isObject(image)) {
      problems.push(`${where} is not an object`);
      continue;
    }
    tallyFields(image, 'image', tally, 'images');
    if (!isId(image.id)) problems.push(`${where}.id is missing`);
    else if (itemOf.has(idKey(image.id)))
      problems.push(`${where}.id ${image.id} repeats an earlier image`);
    if (typeof image.file_name !== 'string' || image.file_name === '') {
      problems.push(`${where}.file_name is missing`);
      continue;
    }
    const found = await locateImage(image.file_name, readImage);
    if (!found) {
      // The file name is the item's media key: a relative path under media/ of safe segments.
      const fileProblem = mediaKeyProblem(image.file_name);
      problems.push(
        fileProblem || image.file_name.endsWith('/')
          ? `${where}.file_name ${JSON.stringify(image.file_name)} is not a relative path inside the image folder: it ${fileProblem ?? 'ends with "/"'}`
          : `${where}: image file ${image.file_name} is not in the image folder`,
      );
      continue;
    }
    const { name: fileName, bytes } = found;
    if (fileName !== image.file_name)
      tally.add(
        'file names found under another path of the image folder',
        `${image.file_name} as ${fileName}`,
      );
    if (names.has(fileName)) problems.push(`${where}.file_name ${fileName} repeats`);
    names.add(fileName);
    const format = imageFormat(bytes);
    const positive = (v: unknown): v is number =>
      typeof v === 'number' && Number.isFinite(v) && v > 0;
    const width = positive(image.width) ? image.width : format.width;
    const height = positive(image.height) ? image.height : format.height;
    if (!positive(width) || !positive(height)) {
      problems.push(
        `${where} (${fileName}) has no positive width and height, nor an image header that gives them`,
      );
      continue;
    }
    if (Math.max(width, height) > MAX_IMAGE_SIDE) {
      problems.push(
        `${where} (${image.file_name}) is ${width} x ${height}: an image may have at most ${MAX_IMAGE_SIDE} pixels a side`,
      );
      continue;
    }
    if (!positive(image.width) || !positive(image.height))
      tally.add('images without width and height, read from the image file', fileName);
    const meta = attributesOf(image.attributes, tally, where);
    if (isId(image.id) && !('coco_id' in meta)) meta.coco_id = image.id;
    const item: DatasetItem = {
      index,
      name: fileName,
      media_key: fileName,
      width,
      height,
      num_frames: 1,
      num_channels: format.channels,
      bits_per_channel: format.bits,
      meta_data: meta,
      created_at: now,
    };
    items.push(item);
    if (isId(image.id)) itemOf.set(idKey(image.id), item);
    media.push({ key: item.media_key, bytes });
  }

  // Annotations: geometry first, so that a file of labels alone becomes a classification task.
  interface Read {
    item: DatasetItem;
    classId: number;
    geometry: ReadGeometry['geometry'];
    source: CocoObject;
    where: string;
  }
  const read: Read[] = [];
  for (const [index, a] of ((value.annotations as unknown[] | undefined) ?? []).entries()) {
    const where = `annotations[${index}]`;
    if (!isObject(a)) {
      tally.add('skipped: annotations that are not objects', where);
      continue;
    }
    tallyFields(a, 'annotation', tally, 'annotations');
    const item = isId(a.image_id) ? itemOf.get(idKey(a.image_id)) : undefined;
    if (!item) {
      tally.add('skipped: annotations whose image_id is not an image of the file', where);
      continue;
    }
    const classId = isId(a.category_id) ? classIdOf.get(idKey(a.category_id)) : undefined;
    if (classId === undefined) {
      tally.add(
        a.category_id === undefined
          ? 'skipped: annotations without a category_id'
          : 'skipped: annotations whose category_id is not a category of the file',
        where,
      );
      continue;
    }
    const { geometry, fallback } = geometryOf(a, item.width, item.height);
    if (fallback) tally.add(fallback, where);
    read.push({ item, classId, geometry, source: a, where });
  }
  const withGeometry = read.filter((r) => r.geometry !== null).length;
  const labelsOnly = withGeometry === 0 && read.length > 0;

  const annotations: Annotation[] = [];
  const instances = new Map<number, number>();
  const counts = { Box: 0, Poly: 0, Mask: 0, Tag: 0 };
  let segmented = false;
  for (const { item, classId, geometry, source, where } of read) {
    if (!geometry && !labelsOnly) {
      tally.add('skipped: annotations without geometry in a file of boxes or polygons', where);
      continue;
    }
    const shape = geometry ?? { type: 'Tag' as const, box: null, poly: null };
    const crowd = source.iscrowd === 1 || source.iscrowd === true;
    if (shape.type === 'Poly' || (shape.type === 'Mask' && !crowd)) segmented = true;
    counts[shape.type]++;
    const instance = (instances.get(item.index) ?? 0) + 1;
    instances.set(item.index, instance);
    const meta = attributesOf(source.attributes, tally, where);
    if (isId(source.id) && !('coco_id' in meta)) meta.coco_id = source.id;
    annotations.push({
      dataset_item_index: item.index,
      frame_index: 0,
      ...shape,
      class_id: classId,
      instance_id: instance,
      ...(crowd ? { is_crowd: true } : {}),
      is_open: false,
      annotators: '',
      meta_data: meta,
      created_at: now,
      updated_at: now,
    });
  }

  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (problems.length > listed.length)
      listed.push(`... and ${problems.length - listed.length} more problems`);
    throw new ValidationError(listed);
  }
  warnings.push(...tally.lines());

  const taskType: ImportTaskType =
    options.taskType ??
    (labelsOnly ? 'classification' : segmented ? 'instance_segmentation' : 'object_detection');
  const project: Project = {
    id: options.projectId,
    name: options.projectName ?? options.projectId,
    created_at: now,
  };
  const dataset: Dataset = {
    id: datasetId,
    name: options.datasetName ?? datasetId,
    media: 'image',
    item_metadata_definitions: [],
  };
  const task: Task = {
    id: taskId,
    name: options.taskName ?? taskId,
    type: taskType,
    media: 'image',
    dataset_ids: [datasetId],
    classes,
    rotation_enabled: false,
    annotation_metadata_definitions: [],
  };

  // Media first and the store's descriptions last: a store that is readable is complete.
  const queue = [...media];
  await Promise.all(
    Array.from({ length: Math.min(8, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift())
        await sink.media(datasetId, next.key, next.bytes, contentTypeOf(next.key));
    }),
  );
  await sink.items(datasetId, items);
  await sink.annotations(taskId, datasetId, annotations);
  await sink.dataset(dataset);
  await sink.task(task);
  await sink.project(project);
  return {
    project,
    dataset,
    task,
    items: items.length,
    annotations: annotations.length,
    boxes: counts.Box,
    polygons: counts.Poly,
    masks: counts.Mask,
    tags: counts.Tag,
    warnings,
  };
}
