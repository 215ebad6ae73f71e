import { ValidationError } from '../errors';
import { MAX_IMAGE_SIDE } from '../model/validate';
import { mediaKeyProblem, projectIdProblem, segmentProblem } from '../store/segments';
import type {
  Annotation,
  Dataset,
  DatasetItem,
  MetaData,
  Point,
  Project,
  Task,
  TaskClass,
} from '../model/types';

/** The subset of a COCO file the import reads (object detection and instance segmentation). */
interface CocoFile {
  images: Array<{
    id: number;
    file_name: string;
    width: number;
    height: number;
    attributes?: MetaData;
  }>;
  categories: Array<{ id: number; name: string; supercategory?: string }>;
  annotations: Array<{
    id?: number;
    image_id: number;
    category_id: number;
    segmentation?: unknown;
    bbox?: number[];
    iscrowd?: number;
    attributes?: MetaData;
  }>;
}

export type ImportTaskType = 'object_detection' | 'instance_segmentation';

export interface CocoImportOptions {
  projectId: string;
  projectName?: string;
  datasetId?: string;
  datasetName?: string;
  taskId?: string;
  taskName?: string;
  /** Default: object detection when every annotation is a box, else instance segmentation. */
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
  warnings: string[];
}

const MAX_LISTED_PROBLEMS = 50;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Channels and bits per channel from a PNG or JPEG header; 3 × 8 when the header says nothing. */
export function imageFormat(bytes: Uint8Array): { channels: number; bits: number } {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 26 && png.every((b, i) => bytes[i] === b)) {
    const depth = bytes[24]!;
    const channels = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }[bytes[25]!] ?? 3;
    return { channels, bits: bytes[25] === 3 ? 8 : depth };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1]!;
      const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      const isFrame =
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) return { channels: bytes[at + 9]!, bits: bytes[at + 4]! };
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

/** COCO polygon lists `[[x1,y1,x2,y2,...],...]` as rings; undefined for RLE or anything else. */
function polygonRings(segmentation: unknown): Point[][] | undefined {
  if (!Array.isArray(segmentation) || segmentation.length === 0) return undefined;
  const rings: Point[][] = [];
  for (const flat of segmentation) {
    if (!Array.isArray(flat) || flat.length < 6 || flat.length % 2 !== 0 || !flat.every(finite))
      return undefined;
    const ring: Point[] = [];
    for (let i = 0; i < flat.length; i += 2) ring.push({ x: flat[i]!, y: flat[i + 1]! });
    rings.push(ring);
  }
  return rings;
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

function parseCoco(value: unknown, problems: string[]): CocoFile {
  const coco = value as Partial<CocoFile>;
  for (const field of ['images', 'categories', 'annotations'] as const)
    if (!Array.isArray(coco?.[field])) problems.push(`the COCO file has no "${field}" list`);
  if (problems.length > 0) throw new ValidationError(problems);
  return coco as CocoFile;
}

/**
 * Builds a project store from a COCO file and its images (DESIGN §13): one dataset of the images in
 * file order, one task whose classes are the categories (a supercategory that names another
 * category becomes the parent). Polygons become Poly annotations, a segmentation that is its
 * bbox's rectangle or absent (or RLE) becomes a Box. Every problem of the file is listed before
 * anything is written.
 */
export async function importCoco(
  value: unknown,
  readImage: ImageSource,
  sink: StoreSink,
  options: CocoImportOptions,
): Promise<CocoImportResult> {
  const warnings: string[] = [];
  const datasetId = options.datasetId ?? 'images';
  const taskId = options.taskId ?? 'labels';
  const problems = idProblems(options, datasetId, taskId);
  if (problems.length > 0) throw new ValidationError(problems);
  const coco = parseCoco(value, problems);
  const now = (options.now ?? new Date()).toISOString();

  // Class ids must be ≥ 1; files counting from 0 are shifted as a whole.
  const categoryIds = coco.categories.map((c) => c.id);
  coco.categories.forEach((c, i) => {
    if (!Number.isInteger(c?.id)) problems.push(`categories[${i}].id is not an integer`);
    if (typeof c?.name !== 'string' || c.name === '')
      problems.push(`categories[${i}].name is missing`);
  });
  if (new Set(categoryIds).size !== categoryIds.length) problems.push('category ids repeat');
  const shift =
    categoryIds.length > 0 && Math.min(...categoryIds) < 1 ? 1 - Math.min(...categoryIds) : 0;
  if (shift > 0)
    warnings.push(`category ids start below 1: every class id is the category id + ${shift}`);
  const byName = new Map(coco.categories.map((c) => [c.name, c.id + shift]));
  const classes: TaskClass[] = coco.categories.map((c) => {
    const parent = c.supercategory ? byName.get(c.supercategory) : undefined;
    return {
      id: c.id + shift,
      name: c.name,
      parent_id: parent !== undefined && parent !== c.id + shift ? parent : null,
    };
  });

  const items: DatasetItem[] = [];
  const itemOf = new Map<number, DatasetItem>();
  const media: Array<{ key: string; bytes: Uint8Array }> = [];
  const names = new Set<string>();
  for (const [index, image] of coco.images.entries()) {
    const where = `images[${index}]`;
    if (!Number.isInteger(image?.id)) problems.push(`${where}.id is not an integer`);
    else if (itemOf.has(image.id))
      problems.push(`${where}.id ${image.id} repeats an earlier image`);
    // The file name is the item's media key: a relative path under media/ of safe segments.
    const fileProblem = mediaKeyProblem(image?.file_name);
    if (fileProblem || image.file_name.endsWith('/')) {
      problems.push(
        `${where}.file_name ${JSON.stringify(image?.file_name)} is not a relative path inside the image folder: it ${fileProblem ?? 'ends with "/"'}`,
      );
      continue;
    }
    if (names.has(image.file_name)) problems.push(`${where}.file_name ${image.file_name} repeats`);
    names.add(image.file_name);
    if (!(finite(image.width) && image.width > 0 && finite(image.height) && image.height > 0))
      problems.push(`${where} (${image.file_name}) has no positive width and height`);
    else if (Math.max(image.width, image.height) > MAX_IMAGE_SIDE)
      problems.push(
        `${where} (${image.file_name}) is ${image.width} x ${image.height}: an image may have at most ${MAX_IMAGE_SIDE} pixels a side`,
      );
    const bytes = await readImage(image.file_name);
    if (!bytes) {
      problems.push(`${where}: image file ${image.file_name} is not in the image folder`);
      continue;
    }
    const format = imageFormat(bytes);
    const item: DatasetItem = {
      index,
      name: image.file_name,
      media_key: image.file_name,
      width: image.width,
      height: image.height,
      num_frames: 1,
      num_channels: format.channels,
      bits_per_channel: format.bits,
      meta_data: image.attributes && typeof image.attributes === 'object' ? image.attributes : {},
      created_at: now,
    };
    items.push(item);
    itemOf.set(image.id, item);
    media.push({ key: image.file_name, bytes });
  }

  const annotations: Annotation[] = [];
  const instances = new Map<number, number>();
  let boxes = 0;
  let polygons = 0;
  const classIds = new Set(classes.map((c) => c.id));
  for (const [index, a] of coco.annotations.entries()) {
    const where = `annotations[${index}]${a?.id !== undefined ? ` (id ${a.id})` : ''}`;
    const item = itemOf.get(a?.image_id);
    if (!item) {
      problems.push(`${where}: image_id ${a?.image_id} is not an image of the file`);
      continue;
    }
    const classId = (a.category_id ?? NaN) + shift;
    if (!classIds.has(classId)) {
      problems.push(`${where}: category_id ${a.category_id} is not a category of the file`);
      continue;
    }
    const rings = a.iscrowd ? undefined : polygonRings(a.segmentation);
    let geometry: Pick<Annotation, 'type' | 'box' | 'poly'>;
    const rectangle = rings && rectangleOf(rings);
    if (rings && !rectangle) {
      geometry = { type: 'Poly', box: null, poly: rings };
      polygons++;
    } else if (rectangle) {
      geometry = { type: 'Box', box: rectangle, poly: null };
      boxes++;
    } else if (Array.isArray(a.bbox) && a.bbox.length === 4 && a.bbox.every(finite)) {
      const [x, y, w, h] = a.bbox as [number, number, number, number];
      geometry = { type: 'Box', box: { x, y, w, h, orientation: null }, poly: null };
      boxes++;
      if (a.segmentation && !Array.isArray(a.segmentation))
        warnings.push(`${where}: RLE segmentation imported as its bbox`);
    } else {
      problems.push(`${where} has neither a polygon segmentation nor a bbox of 4 numbers`);
      continue;
    }
    const instance = (instances.get(item.index) ?? 0) + 1;
    instances.set(item.index, instance);
    annotations.push({
      dataset_item_index: item.index,
      frame_index: 0,
      ...geometry,
      class_id: classId,
      instance_id: instance,
      is_open: false,
      annotators: '',
      meta_data: a.attributes && typeof a.attributes === 'object' ? a.attributes : {},
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

  const taskType: ImportTaskType =
    options.taskType ?? (polygons === 0 ? 'object_detection' : 'instance_segmentation');
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
    boxes,
    polygons,
    warnings,
  };
}
