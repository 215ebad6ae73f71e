/**
 * What every step of the COCO import reads values with: the file's ids, its objects, and the
 * tally of what the import does not carry.
 */
import type { MetaData, MetadataValue } from '../model/types';

/** A COCO id as real files write them: an integer mostly, sometimes a float or a string. */
export type CocoId = number | string;

export type CocoObject = Record<string, unknown>;

export const isObject = (v: unknown): v is CocoObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isId = (v: unknown): v is CocoId =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');

/** The key that makes ids of different spellings (1, 1.0, "1") meet. */
export const idKey = (id: CocoId) => String(id);

/** What `map` (keyed by idKey) holds for the id `value`; undefined when `value` is no id. */
export const findById = <T>(map: ReadonlyMap<string, T>, value: unknown): T | undefined =>
  isId(value) ? map.get(idKey(value)) : undefined;

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
export class Tally {
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

/**
 * What the steps of an import note as they read: problems, each of which stops the import (all of
 * them are listed at the end), and the tally of what is not kept.
 */
export interface ImportNotes {
  problems: string[];
  tally: Tally;
}

/** Notes every field of `value` the import does not read. */
export function tallyFields(
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

/**
 * `attributes` as metadata, with the source's id as `coco_id` unless an attribute has that name:
 * entries the store cannot hold (nested objects) are counted and left out.
 */
export function metadataOf(source: CocoObject, tally: Tally, where: string): MetaData {
  const meta = attributesOf(source.attributes, tally, where);
  if (isId(source.id) && !('coco_id' in meta)) meta.coco_id = source.id;
  return meta;
}

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
