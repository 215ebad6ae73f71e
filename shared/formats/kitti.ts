import { truncation, type Bounds } from '../geometry';
import type { MetadataValue } from '../model/types';
import { itemStem, placedObjects } from './common/items';
import { GEOMETRY_TASK_TYPES, type Format, type RenderInput, type RenderedFile } from './types';

export const KITTI_EXTENSION = '.txt';
/** KITTI's values for what a 2D annotation does not know (DESIGN §7.9). */
const ALPHA = -10;
const DIMENSIONS = [-1, -1, -1] as const;
const LOCATION = [-1000, -1000, -1000] as const;
const ROTATION_Y = -10;
const OCCLUDED_UNKNOWN = 3;
const DECIMALS = 2;

/** KITTI's type: the class name in one space-free field. */
export function kittiType(className: string): string {
  return className.replace(/\s/g, '_');
}

/** The annotation's `occluded` metadata when it is one of KITTI's states 0-3, else 3 (unknown). */
export function kittiOccluded(value: MetadataValue | undefined): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3)
    return value;
  if (typeof value === 'string' && /^[0-3]$/.test(value)) return Number(value);
  return OCCLUDED_UNKNOWN;
}

export interface KittiObject {
  className: string;
  /** Share of the box outside the image, 0..1. */
  truncated: number;
  occluded: number;
  /** The tight box clipped to the image. */
  bounds: Bounds;
}

/**
 * KITTI's 15 space-separated fields: `type truncated occluded alpha left top right bottom height
 * width length x y z rotation_y`, floats with 2 decimals, occluded an integer.
 */
export function toKittiLine(object: KittiObject): string {
  const float = (value: number) => (value + 0).toFixed(DECIMALS);
  const { bounds } = object;
  return [
    kittiType(object.className),
    float(object.truncated),
    String(object.occluded),
    float(ALPHA),
    ...[bounds.xMin, bounds.yMin, bounds.xMax, bounds.yMax].map(float),
    ...DIMENSIONS.map(float),
    ...LOCATION.map(float),
    float(ROTATION_Y),
  ].join(' ');
}

async function* renderKitti(input: RenderInput): AsyncIterable<RenderedFile> {
  for (const item of input.items) {
    const { width, height } = item.item;
    const lines = placedObjects(input, item).map(
      ({ annotation, placed, cls }) =>
        toKittiLine({
          className: cls.name,
          truncated: truncation(placed.rings, width, height),
          occluded: kittiOccluded(annotation.meta_data.occluded),
          bounds: placed.bounds,
        }) + '\n',
    );
    yield { path: itemStem(item.name) + KITTI_EXTENSION, body: lines.join('') };
  }
}

export const kitti: Format = {
  id: 'kitti',
  version: '1.0',
  label: 'KITTI (.txt)',
  taskTypes: GEOMETRY_TASK_TYPES,
  media: ['image'],
  render: renderKitti,
  merges: [],
};
