import { placeGeometry } from '../geometry';
import { countPixels } from '../masks/rasterise';
import { encodeRleString, rleArea } from '../masks/rle';
import type { Annotation, MetaData, Task } from '../model/types';
import { classesByAscendingId } from './common/class-list';
import {
  GEOMETRY_TASK_TYPES,
  type ExportItem,
  type Format,
  type FormatContext,
  type MergeRule,
  type Part,
  type RenderInput,
  type RenderedFile,
} from './types';

/** The per-dataset file of an image dataset; a video gets one `{video}.json` each. */
export const COCO_FILE = 'coco.json';

export interface CocoImage {
  license: 0;
  file_name: string;
  width: number;
  height: number;
  id: number;
  attributes?: MetaData;
}

/** A mask as pycocotools' encode writes it: size [height, width] and the compressed counts. */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

export interface CocoAnnotation {
  image_id: number;
  id: number;
  category_id: number;
  /** Polygons `[[x1,y1,x2,y2,...],...]`, or the RLE of a Mask annotation. */
  segmentation: number[][] | CocoRle;
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  attributes?: MetaData;
}

/** COCO's licenses list: images point at it with `license`; the store knows no licences. */
export interface CocoLicense {
  id: number;
  name: string;
  url: string;
}

export const COCO_LICENSES: CocoLicense[] = [{ id: 0, name: 'unspecified', url: '' }];

export interface CocoCategory {
  supercategory: string;
  id: number;
  name: string;
}

interface CocoOptions {
  id: string;
  version: string;
  label: string;
  /** coco_metadata: item and annotation meta_data as `attributes` (DESIGN §7.2). */
  attributes: boolean;
}

/** COCO as DESIGN §7.1 describes it; `coco_metadata` is the same format with attributes. */
export function cocoFormat(options: CocoOptions): Format {
  return {
    id: options.id,
    version: options.version,
    label: options.label,
    taskTypes: GEOMETRY_TASK_TYPES,
    media: ['image', 'video'],
    render: (input) => renderCoco(input, options.attributes),
    merges: [cocoMerge],
  };
}

export function cocoCategories(task: Task): CocoCategory[] {
  const byId = new Map(task.classes.map((c) => [c.id, c]));
  return classesByAscendingId(task).map((c) => ({
    supercategory:
      c.supercategory ?? (c.parent_id === null ? '' : (byId.get(c.parent_id)?.name ?? '')),
    id: c.id,
    name: c.name,
  }));
}

/** COCO's numbers: enough decimals for sub-pixel geometry, none of the float noise. */
function round(value: number): number {
  return Math.round(value * 1e4) / 1e4 + 0;
}

/**
 * One COCO annotation, or null (with a warning) when the geometry has nothing to write: a Tag,
 * fewer than 3 points, a zero-area box, or nothing left inside the image.
 */
export function toCocoAnnotation(
  annotation: Annotation,
  width: number,
  height: number,
  ids: { image: number; annotation: number },
  warn: (message: string) => void,
  where: string,
): CocoAnnotation | null {
  const placed = placeGeometry(annotation, width, height);
  if (placed === null) return null;
  if ('skipped' in placed) {
    warn(`${where}: ${placed.skipped}`);
    return null;
  }
  const { rings, clipped, bounds } = placed;
  const mask = annotation.type === 'Mask' ? annotation.mask : null;
  return {
    image_id: ids.image,
    id: ids.annotation,
    category_id: annotation.class_id,
    segmentation: mask
      ? { size: mask.size, counts: encodeRleString(mask.counts) }
      : clipped.map((ring) => ring.flatMap((p) => [round(p.x), round(p.y)])),
    area: mask ? rleArea(mask.counts) : countPixels(rings, width, height),
    bbox: [
      round(bounds.xMin),
      round(bounds.yMin),
      round(bounds.xMax - bounds.xMin),
      round(bounds.yMax - bounds.yMin),
    ],
    iscrowd: annotation.is_crowd ? 1 : 0,
  };
}

interface CocoDocument {
  info: { description: string; date_created: string };
  licenses: CocoLicense[];
  images: CocoImage[];
  categories: CocoCategory[];
  annotations: CocoAnnotation[];
}

function header(context: FormatContext): Pick<CocoDocument, 'info' | 'licenses' | 'categories'> {
  return {
    info: { description: context.exportName, date_created: context.createdAt },
    licenses: COCO_LICENSES,
    categories: cocoCategories(context.task),
  };
}

async function* renderCoco(input: RenderInput, attributes: boolean): AsyncIterable<RenderedFile> {
  if (input.dataset.media === 'video') {
    for (const item of input.items) yield renderVideo(input, item, attributes);
    return;
  }
  const document: CocoDocument = { ...header(input), images: [], annotations: [] };
  for (const [position, item] of input.items.entries()) {
    const image: CocoImage = {
      license: 0,
      file_name: item.name,
      width: item.item.width,
      height: item.item.height,
      id: position + 1,
    };
    if (attributes) image.attributes = item.item.meta_data;
    document.images.push(image);
    pushAnnotations(document, input, item, item.annotations, image.id, attributes);
  }
  yield { path: COCO_FILE, body: JSON.stringify(document) };
}

function renderVideo(input: RenderInput, item: ExportItem, attributes: boolean): RenderedFile {
  const document: CocoDocument = { ...header(input), images: [], annotations: [] };
  // Frames are the video's frame files; a renderer given none (tests) takes num_frames of them.
  const frames =
    item.frames.length > 0
      ? item.frames
      : Array.from({ length: item.item.num_frames }, (_, index) => ({
          index,
          key: '',
          ext: 'png',
        }));
  const frameIndices = new Set(frames.map((f) => f.index));
  for (const frame of frames) {
    const image: CocoImage = {
      license: 0,
      file_name: `${frame.index}.${frame.ext}`,
      width: item.item.width,
      height: item.item.height,
      id: frame.index,
    };
    if (attributes) image.attributes = item.item.meta_data;
    document.images.push(image);
  }
  for (const annotation of item.annotations) {
    // An image_id must name an image of the file: an annotation past the video's frames is skipped.
    if (!frameIndices.has(annotation.frame_index)) {
      input.warn(
        `${item.name} frame ${annotation.frame_index}: frame is not in the video; annotation skipped`,
      );
      continue;
    }
    pushAnnotations(document, input, item, [annotation], annotation.frame_index, attributes);
  }
  return { path: `${item.name}.json`, body: JSON.stringify(document) };
}

function pushAnnotations(
  document: CocoDocument,
  input: RenderInput,
  item: ExportItem,
  annotations: Annotation[],
  imageId: number,
  attributes: boolean,
): void {
  for (const annotation of annotations) {
    const where = `${item.name} frame ${annotation.frame_index}`;
    const entry = toCocoAnnotation(
      annotation,
      item.item.width,
      item.item.height,
      { image: imageId, annotation: document.annotations.length + 1 },
      input.warn,
      where,
    );
    if (!entry) continue;
    if (attributes) entry.attributes = annotation.meta_data;
    document.annotations.push(entry);
  }
}

/**
 * Joins the shards' coco.json parts into one file, renumbering image and annotation ids so they
 * stay unique and run from 1. Streams: the header, then every part's images, then (second pass)
 * every part's annotations; only one part is held at a time.
 */
export const cocoMerge: MergeRule = {
  matches: (path) => path === COCO_FILE,
  async *merge(parts: () => AsyncIterable<Part>, context: FormatContext) {
    const head = header(context);
    // Same key order as a single shard's file: info, licenses, categories, images, annotations.
    yield `{"info":${JSON.stringify(head.info)},"licenses":${JSON.stringify(head.licenses)},"categories":${JSON.stringify(head.categories)},"images":[`;
    let imageOffset = 0;
    const offsets: number[] = [];
    let first = true;
    for await (const part of parts()) {
      const document = JSON.parse(part.body) as CocoDocument;
      offsets.push(imageOffset);
      for (const image of document.images) {
        yield (first ? '' : ',') + JSON.stringify({ ...image, id: image.id + imageOffset });
        first = false;
      }
      imageOffset += document.images.length;
    }
    yield `],"annotations":[`;
    let annotationOffset = 0;
    let index = 0;
    first = true;
    for await (const part of parts()) {
      const document = JSON.parse(part.body) as CocoDocument;
      const offset = offsets[index++] ?? 0;
      for (const annotation of document.annotations) {
        const renumbered = {
          ...annotation,
          image_id: annotation.image_id + offset,
          id: annotation.id + annotationOffset,
        };
        yield (first ? '' : ',') + JSON.stringify(renumbered);
        first = false;
      }
      annotationOffset += document.annotations.length;
    }
    yield ']}';
  },
};

/** Declared after cocoMerge: building the descriptors reads it. */
export const coco = cocoFormat({
  id: 'coco',
  version: '1.0',
  label: 'COCO (.json)',
  attributes: false,
});

/** COCO with item and annotation meta_data as `attributes` (DESIGN §7.2). */
export const cocoMetadata = cocoFormat({
  id: 'coco_metadata',
  version: '1.0',
  label: 'COCO + Metadata (.json)',
  attributes: true,
});
