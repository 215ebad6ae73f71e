import { ValidationError } from '../errors';
import { parseStoreTime } from '../dates';
import { mediaKeyProblem, segmentProblem } from '../store/segments';
import {
  ANNOTATION_TYPES,
  MEDIA_TYPES,
  METADATA_TYPES,
  TASK_TYPES,
  type Annotation,
  type Box,
  type Dataset,
  type MaskGeometry,
  type DatasetItem,
  type MetadataDefinition,
  type Point,
  type Project,
  type Task,
} from './types';

/**
 * Runtime validation of the store's JSON. Every parser collects all problems of a value, each
 * prefixed with where it is (`annotations/d1.jsonl line 42: poly[0][3].x is not a finite number`),
 * and throws one ValidationError listing them.
 */
class Checker {
  readonly problems: string[] = [];
  constructor(private readonly where: string) {}

  problem(field: string, message: string): void {
    this.problems.push(`${this.where}: ${field ? `${field} ` : ''}${message}`);
  }

  object(value: unknown, field: string): Record<string, unknown> | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    this.problem(field || 'value', 'is not an object');
    return undefined;
  }

  string(o: Record<string, unknown>, field: string, path = field): string {
    const v = o[field];
    if (typeof v === 'string') return v;
    this.problem(path, v === undefined ? 'is missing' : 'is not a string');
    return '';
  }

  nonEmptyString(o: Record<string, unknown>, field: string, path = field): string {
    const v = this.string(o, field, path);
    if (typeof o[field] === 'string' && v.length === 0) this.problem(path, 'is empty');
    return v;
  }

  finite(o: Record<string, unknown>, field: string, path = field): number {
    const v = o[field];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    this.problem(path, v === undefined ? 'is missing' : 'is not a finite number');
    return 0;
  }

  integer(o: Record<string, unknown>, field: string, min: number, path = field): number {
    const v = o[field];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    this.problem(path, v === undefined ? 'is missing' : `is not an integer >= ${min}`);
    return min;
  }

  boolean(o: Record<string, unknown>, field: string, path = field): boolean {
    const v = o[field];
    if (typeof v === 'boolean') return v;
    this.problem(path, v === undefined ? 'is missing' : 'is not true or false');
    return false;
  }

  oneOf<T extends string>(
    o: Record<string, unknown>,
    field: string,
    allowed: readonly T[],
    path = field,
  ): T {
    const v = o[field];
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    this.problem(
      path,
      v === undefined ? 'is missing' : `is ${JSON.stringify(v)}, not one of ${allowed.join(', ')}`,
    );
    return allowed[0]!;
  }

  timestamp(o: Record<string, unknown>, field: string, path = field): string {
    const v = this.string(o, field, path);
    // Read as dateRange is: Date.parse would take `1`, `March 7, 2026` and `2026-02-30`.
    if (typeof o[field] === 'string' && parseStoreTime(v) === undefined)
      this.problem(path, 'is not an ISO-8601 date');
    return v;
  }

  array(o: Record<string, unknown>, field: string, path = field): unknown[] {
    const v = o[field];
    if (Array.isArray(v)) return v;
    this.problem(path, v === undefined ? 'is missing' : 'is not an array');
    return [];
  }

  metaData(o: Record<string, unknown>, field: string): Record<string, never> {
    const v = o[field];
    if (v === undefined || v === null) return {};
    return (this.object(v, field) ?? {}) as Record<string, never>;
  }

  done<T>(value: T): T {
    if (this.problems.length > 0) throw new ValidationError(this.problems);
    return value;
  }
}

/** Parses one JSON document or JSONL line, naming where it is when it is not JSON. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${where}: malformed JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

export function parseProject(value: unknown, where: string): Project {
  const c = new Checker(where);
  const o = c.object(value, '') ?? {};
  return c.done({
    id: keySegment(c, o, 'id'),
    name: c.string(o, 'name'),
    created_at: c.timestamp(o, 'created_at'),
  });
}

function parseMetadataDefinitions(
  c: Checker,
  list: unknown[],
  field: string,
): MetadataDefinition[] {
  return list.map((entry, i) => {
    const path = `${field}[${i}]`;
    const o = c.object(entry, path) ?? {};
    const num = (key: string): number | null => {
      const v = o[key];
      if (v === undefined || v === null) return null;
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      c.problem(`${path}.${key}`, 'is not a finite number');
      return null;
    };
    const text = (key: string): string => (typeof o[key] === 'string' ? (o[key] as string) : '');
    const options = Array.isArray(o.options) ? (o.options as MetadataDefinition['options']) : [];
    const classes = Array.isArray(o.classes) ? (o.classes as MetadataDefinition['classes']) : [];
    const fallback = o.default;
    return {
      name: c.nonEmptyString(o, 'name', `${path}.name`),
      display_name: text('display_name'),
      type: c.oneOf(o, 'type', METADATA_TYPES, `${path}.type`),
      required: o.required === true,
      classes,
      helpText: text('helpText'),
      default:
        typeof fallback === 'string' ||
        typeof fallback === 'number' ||
        typeof fallback === 'boolean'
          ? fallback
          : null,
      trueText: text('trueText'),
      min: num('min'),
      max: num('max'),
      options,
    };
  });
}

export function parseDataset(value: unknown, where: string): Dataset {
  const c = new Checker(where);
  const o = c.object(value, '') ?? {};
  const definitions =
    o.item_metadata_definitions === undefined ? [] : c.array(o, 'item_metadata_definitions');
  return c.done({
    id: keySegment(c, o, 'id'),
    name: c.nonEmptyString(o, 'name'),
    media: c.oneOf(o, 'media', MEDIA_TYPES),
    item_metadata_definitions: parseMetadataDefinitions(
      c,
      definitions,
      'item_metadata_definitions',
    ),
  });
}

export function parseTask(value: unknown, where: string): Task {
  const c = new Checker(where);
  const o = c.object(value, '') ?? {};
  const classes = c.array(o, 'classes').map((entry, i) => {
    const co = c.object(entry, `classes[${i}]`) ?? {};
    const parent = co.parent_id;
    if (
      parent !== null &&
      parent !== undefined &&
      !(typeof parent === 'number' && Number.isInteger(parent))
    ) {
      c.problem(`classes[${i}].parent_id`, 'is not an integer or null');
    }
    return {
      id: c.integer(co, 'id', 1, `classes[${i}].id`),
      name: c.nonEmptyString(co, 'name', `classes[${i}].name`),
      parent_id: typeof parent === 'number' ? parent : null,
      ...(typeof co.supercategory === 'string' && co.supercategory !== ''
        ? { supercategory: co.supercategory }
        : {}),
    };
  });
  const ids = new Set<number>();
  for (const [i, cls] of classes.entries()) {
    if (ids.has(cls.id)) c.problem(`classes[${i}].id`, `repeats class id ${cls.id}`);
    ids.add(cls.id);
  }
  for (const [i, cls] of classes.entries()) {
    if (cls.parent_id !== null && !ids.has(cls.parent_id))
      c.problem(`classes[${i}].parent_id`, `names unknown class ${cls.parent_id}`);
  }
  const datasetIds = c.array(o, 'dataset_ids').map((d, i) => {
    if (typeof d !== 'string' || d.length === 0)
      c.problem(`dataset_ids[${i}]`, 'is not a dataset id');
    else checkKeySegment(c, d, `dataset_ids[${i}]`);
    return String(d);
  });
  const definitions =
    o.annotation_metadata_definitions === undefined
      ? []
      : c.array(o, 'annotation_metadata_definitions');
  return c.done({
    id: keySegment(c, o, 'id'),
    name: c.string(o, 'name'),
    type: c.oneOf(o, 'type', TASK_TYPES),
    media: c.oneOf(o, 'media', MEDIA_TYPES),
    dataset_ids: datasetIds,
    classes,
    rotation_enabled: o.rotation_enabled === undefined ? false : c.boolean(o, 'rotation_enabled'),
    annotation_metadata_definitions: parseMetadataDefinitions(
      c,
      definitions,
      'annotation_metadata_definitions',
    ),
  });
}

export function parseItem(value: unknown, where: string, limits: ItemLimits = {}): DatasetItem {
  const c = new Checker(where);
  const o = c.object(value, '') ?? {};
  checkPixels(c, o, limits);
  return c.done({
    index: c.integer(o, 'index', 0),
    name: c.nonEmptyString(o, 'name'),
    media_key: mediaKey(c, o),
    width: dimension(c, o, 'width'),
    height: dimension(c, o, 'height'),
    num_frames: o.num_frames === undefined ? 1 : c.integer(o, 'num_frames', 1),
    num_channels: o.num_channels === undefined ? 3 : c.integer(o, 'num_channels', 1),
    bits_per_channel: o.bits_per_channel === undefined ? 8 : c.integer(o, 'bits_per_channel', 1),
    meta_data: c.metaData(o, 'meta_data'),
    created_at: c.timestamp(o, 'created_at'),
  });
}

function parsePoint(c: Checker, value: unknown, path: string): Point {
  const o = c.object(value, path) ?? {};
  return { x: c.finite(o, 'x', `${path}.x`), y: c.finite(o, 'y', `${path}.y`) };
}

/** COCO RLE: `size` [height, width] of positive integers, counts of non-negative integers covering every pixel. */
function parseMask(c: Checker, value: unknown): MaskGeometry | null {
  const o = c.object(value, 'mask');
  if (!o) return null;
  const size = o.size;
  const counts = o.counts;
  const before = c.problems.length;
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)
  ) {
    c.problem('mask.size', 'is not [height, width] of positive integers');
  }
  if (
    !Array.isArray(counts) ||
    !counts.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)
  ) {
    c.problem('mask.counts', 'is not a list of non-negative integers');
  }
  if (c.problems.length > before) return null;
  const [height, width] = size as [number, number];
  const total = (counts as number[]).reduce((sum, v) => sum + v, 0);
  if (total !== height * width) {
    c.problem(
      'mask.counts',
      `cover ${total} pixels, not the ${height}x${width} = ${height * width} of its size`,
    );
    return null;
  }
  return { size: [height, width], counts: counts as number[] };
}

/** `box`: its corner and size, and an orientation that is a number or null (unrotated). */
function parseBox(c: Checker, value: unknown): Box {
  const b = c.object(value, 'box') ?? {};
  const orientation = b.orientation;
  if (
    orientation !== undefined &&
    orientation !== null &&
    !(typeof orientation === 'number' && Number.isFinite(orientation))
  ) {
    c.problem('box.orientation', 'is not a finite number or null');
  }
  return {
    x: c.finite(b, 'x', 'box.x'),
    y: c.finite(b, 'y', 'box.y'),
    w: c.finite(b, 'w', 'box.w'),
    h: c.finite(b, 'h', 'box.h'),
    orientation: typeof orientation === 'number' ? orientation : null,
  };
}

/** `poly`: rings of points. */
function parsePoly(c: Checker, o: Record<string, unknown>): Point[][] {
  return c.array(o, 'poly').map((ring, i) => {
    if (!Array.isArray(ring)) {
      c.problem(`poly[${i}]`, 'is not an array of points');
      return [];
    }
    return ring.map((p, j) => parsePoint(c, p, `poly[${i}][${j}]`));
  });
}

/**
 * An annotation line. `classIds` (the task's classes) makes an unknown class id a problem of this
 * line rather than a surprise in a renderer.
 */
export function parseAnnotation(
  value: unknown,
  where: string,
  classIds?: ReadonlySet<number>,
): Annotation {
  const c = new Checker(where);
  const o = c.object(value, '') ?? {};
  const type = c.oneOf(o, 'type', ANNOTATION_TYPES);
  const classId = c.integer(o, 'class_id', 1);
  if (classIds && typeof o.class_id === 'number' && !classIds.has(classId)) {
    c.problem('class_id', `${classId} is not a class of the task`);
  }
  const box = o.box !== undefined && o.box !== null ? parseBox(c, o.box) : null;
  const poly = o.poly !== undefined && o.poly !== null ? parsePoly(c, o) : null;
  const mask = o.mask !== undefined && o.mask !== null ? parseMask(c, o.mask) : null;
  if (type === 'Box' && !box) c.problem('box', 'is missing for a Box');
  if (type === 'Poly' && !poly) c.problem('poly', 'is missing for a Poly');
  if (type === 'Mask' && (o.mask === undefined || o.mask === null))
    c.problem('mask', 'is missing for a Mask');
  if (o.is_crowd !== undefined && typeof o.is_crowd !== 'boolean')
    c.problem('is_crowd', 'is not true or false');
  return c.done({
    dataset_item_index: c.integer(o, 'dataset_item_index', 0),
    frame_index: o.frame_index === undefined ? 0 : c.integer(o, 'frame_index', 0),
    type,
    class_id: classId,
    instance_id:
      o.instance_id === undefined || o.instance_id === null ? 0 : c.integer(o, 'instance_id', 0),
    box,
    poly,
    ...(mask ? { mask } : {}),
    ...(o.is_crowd === true ? { is_crowd: true } : {}),
    is_open: o.is_open === true,
    annotators: typeof o.annotators === 'string' ? o.annotators : '',
    meta_data: c.metaData(o, 'meta_data'),
    created_at: c.timestamp(o, 'created_at'),
    updated_at: c.timestamp(o, 'updated_at'),
  });
}

// Ids and dimensions: what keys and pixel buffers are made of (DESIGN §15, §16).

/** Images wider or taller than this are refused: 65,535 is JPEG's limit and most PNG readers'. */
export const MAX_IMAGE_SIDE = 65_535;

function checkKeySegment(c: Checker, value: string, path: string): void {
  const problem = segmentProblem(value);
  if (problem) c.problem(path, `${JSON.stringify(value)} ${problem}`);
}

/** An id that becomes a segment of S3 keys: no `/`, `\`, `..`, control or invisible characters. */
function keySegment(c: Checker, o: Record<string, unknown>, field: string): string {
  const v = c.nonEmptyString(o, field);
  if (v.length > 0) checkKeySegment(c, v, field);
  return v;
}

/** A path under the dataset's media/ folder (a video's is a folder, with a trailing `/`). */
function mediaKey(c: Checker, o: Record<string, unknown>): string {
  const v = c.nonEmptyString(o, 'media_key');
  const problem = v.length > 0 ? mediaKeyProblem(v) : undefined;
  if (problem) c.problem('media_key', `${JSON.stringify(v)} ${problem}`);
  return v;
}

function dimension(c: Checker, o: Record<string, unknown>, field: 'width' | 'height'): number {
  const v = c.integer(o, field, 1);
  if (v > MAX_IMAGE_SIDE) {
    c.problem(field, `is ${v}, more than the ${MAX_IMAGE_SIDE} pixels an image may have`);
    return 1;
  }
  return v;
}

/**
 * Most pixels per mask in a masks export: 100 million (10,000 x 10,000). The masks function holds
 * up to about eight bytes per pixel of an image at once (the 8-bit and 16-bit label buffers, a
 * scratch mask, the filtered PNG rows and their deflated form), about 800 MB at this size, within
 * its 2,048 MB.
 */
export const MAX_MASK_PIXELS = 100_000_000;

/** Limits an export puts on the items it reads: `maxPixels` for masks. */
export interface ItemLimits {
  maxPixels?: number;
}

function checkPixels(c: Checker, o: Record<string, unknown>, limits: ItemLimits): void {
  const { width, height } = o;
  // A side that is no valid dimension is already a problem of its own.
  const valid = (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_IMAGE_SIDE;
  if (
    limits.maxPixels !== undefined &&
    valid(width) &&
    valid(height) &&
    width * height > limits.maxPixels
  )
    c.problem(
      'width',
      `x height is ${width} x ${height}: more than the ${limits.maxPixels.toLocaleString('en-US')} pixels a mask may have`,
    );
}
