/** Geometry of a COCO annotation: RLE masks, polygons, rectangles traced as polygons, bboxes. */
import { decodeRleString } from '../masks/rle';
import type { Annotation, MaskGeometry, Point } from '../model/types';
import { isObject, type CocoObject } from './coco-fields';

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

export interface ReadGeometry {
  geometry: Pick<Annotation, 'type' | 'box' | 'poly' | 'mask'> | null;
  /** What was not usable and fell back to the bbox (or to nothing). */
  fallback?: string;
}

/**
 * An annotation's geometry: an RLE mask, a polygon (a rectangle traced around as a box, as
 * detection files write boxes), else its bbox; null when it has none (a label-only annotation).
 */
export function geometryOf(a: CocoObject, width: number, height: number): ReadGeometry {
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
