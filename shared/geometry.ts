import { rleOutlines } from './masks/rle';
import type { Annotation, Box, Point, Rings } from './model/types';

/** Axis-aligned bounds in continuous pixel coordinates. */
export interface Bounds {
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** The four corners of a box (top-left, top-right, bottom-right, bottom-left), rotated about its centre. */
export function boxCorners(box: Box): Point[] {
  const { x, y, w, h } = box;
  const corners = [
    { x, y },
    { x: x + w, y },
    { x: x + w, y: y + h },
    { x, y: y + h },
  ];
  const angle = box.orientation ?? 0;
  if (angle === 0) return corners;
  const cx = x + w / 2;
  const cy = y + h / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return corners.map((p) => ({
    x: cx + (p.x - cx) * cos - (p.y - cy) * sin,
    y: cy + (p.x - cx) * sin + (p.y - cy) * cos,
  }));
}

/**
 * The rings an annotation covers: a box's (rotated) rectangle, a polygon's parts, a mask's
 * outlines along pixel edges (its holes filled), nothing for a Tag.
 */
export function annotationRings(annotation: Annotation): Rings {
  if (annotation.type === 'Box' && annotation.box) return [boxCorners(annotation.box)];
  if (annotation.type === 'Poly' && annotation.poly) return annotation.poly;
  if (annotation.type === 'Mask' && annotation.mask) return rleOutlines(annotation.mask);
  return [];
}

/** Bounds of all vertices, or null when there are none. */
export function pointsBounds(rings: Rings): Bounds | null {
  let xMin = Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let yMax = -Infinity;
  for (const ring of rings) {
    for (const p of ring) {
      if (p.x < xMin) xMin = p.x;
      if (p.y < yMin) yMin = p.y;
      if (p.x > xMax) xMax = p.x;
      if (p.y > yMax) yMax = p.y;
    }
  }
  return xMin === Infinity ? null : { xMin, yMin, xMax, yMax };
}

/**
 * The tight axis-aligned box of the geometry clipped to the image (DESIGN §7, geometry), or null
 * when nothing of it lies inside the image.
 */
export function clippedBounds(rings: Rings, width: number, height: number): Bounds | null {
  const b = pointsBounds(rings);
  if (!b) return null;
  const clipped = {
    xMin: clamp(b.xMin, 0, width),
    yMin: clamp(b.yMin, 0, height),
    xMax: clamp(b.xMax, 0, width),
    yMax: clamp(b.yMax, 0, height),
  };
  if (clipped.xMax <= clipped.xMin || clipped.yMax <= clipped.yMin) return null;
  return clipped;
}

/** Share of a box's area that lies outside the image: KITTI's `truncated`. */
export function truncation(rings: Rings, width: number, height: number): number {
  const full = pointsBounds(rings);
  if (!full) return 0;
  const area = (full.xMax - full.xMin) * (full.yMax - full.yMin);
  if (area <= 0) return 0;
  const inside = clippedBounds(rings, width, height);
  const kept = inside ? (inside.xMax - inside.xMin) * (inside.yMax - inside.yMin) : 0;
  return clamp(1 - kept / area, 0, 1);
}

/** Clips a ring to the image rectangle (Sutherland-Hodgman); fewer than 3 points means nothing is left. */
export function clipRing(ring: Point[], width: number, height: number): Point[] {
  type Edge = { inside: (p: Point) => boolean; cut: (a: Point, b: Point) => Point };
  const at = (a: Point, b: Point, t: number): Point => ({
    x: a.x + (b.x - a.x) * t,
    y: a.y + (b.y - a.y) * t,
  });
  const edges: Edge[] = [
    { inside: (p) => p.x >= 0, cut: (a, b) => at(a, b, (0 - a.x) / (b.x - a.x)) },
    { inside: (p) => p.x <= width, cut: (a, b) => at(a, b, (width - a.x) / (b.x - a.x)) },
    { inside: (p) => p.y >= 0, cut: (a, b) => at(a, b, (0 - a.y) / (b.y - a.y)) },
    { inside: (p) => p.y <= height, cut: (a, b) => at(a, b, (height - a.y) / (b.y - a.y)) },
  ];
  let output = ring;
  for (const edge of edges) {
    if (output.length === 0) break;
    const input = output;
    output = [];
    for (let i = 0; i < input.length; i++) {
      const current = input[i]!;
      const previous = input[(i + input.length - 1) % input.length]!;
      const currentIn = edge.inside(current);
      const previousIn = edge.inside(previous);
      if (currentIn) {
        if (!previousIn) output.push(edge.cut(previous, current));
        output.push(current);
      } else if (previousIn) {
        output.push(edge.cut(previous, current));
      }
    }
  }
  return output;
}

/**
 * Whether every vertex lies on one line (or on one point): such a ring encloses nothing. The
 * shoelace area alone would not do, as a symmetric bow tie has none yet covers pixels.
 */
export function collinear(ring: Point[]): boolean {
  const origin = ring[0];
  if (!origin) return true;
  const other = ring.find((p) => p.x !== origin.x || p.y !== origin.y);
  if (!other) return true;
  const dx = other.x - origin.x;
  const dy = other.y - origin.y;
  // Relative to the lengths involved, so that float noise in collinear input still counts as a line.
  return ring.every((p) => {
    const px = p.x - origin.x;
    const py = p.y - origin.y;
    const scale = (Math.abs(px) + Math.abs(py)) * (Math.abs(dx) + Math.abs(dy));
    return Math.abs(px * dy - py * dx) <= 1e-9 * scale;
  });
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** A number with at most `decimals` decimals and no trailing zeros or negative zero. */
export function fixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  const trimmed = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  return trimmed === '-0' ? '0' : trimmed;
}

/** The geometry a format writes for an annotation: its rings, those rings clipped, their clipped tight box. */
export interface PlacedGeometry {
  rings: Rings;
  clipped: Rings;
  bounds: Bounds;
}

/**
 * The rings an annotation fills, under the rules every format shares (DESIGN §16): null for a Tag
 * (no geometry), `{ skipped }` with the reason for a zero-area box, a polygon of fewer than 3
 * points or of no area (collinear points), or an empty mask. Rings are not clipped.
 */
export function fillableRings(annotation: Annotation): Rings | { skipped: string } | null {
  if (annotation.type === 'Tag') return null;
  if (
    annotation.type === 'Box' &&
    annotation.box &&
    (annotation.box.w <= 0 || annotation.box.h <= 0)
  ) {
    return { skipped: 'zero-area box skipped' };
  }
  if (annotation.type === 'Mask') {
    const outlines = annotationRings(annotation);
    return outlines.length > 0 ? outlines : { skipped: 'empty mask skipped' };
  }
  const rings = annotationRings(annotation).filter((ring) => ring.length >= 3);
  if (rings.length === 0) return { skipped: 'polygon with fewer than 3 points skipped' };
  const withArea = rings.filter((ring) => !collinear(ring));
  if (withArea.length === 0) return { skipped: 'zero-area polygon (collinear points) skipped' };
  return withArea;
}

/** Why a mask annotation does not fit its image, or null when its size is the image's. */
export function maskSizeProblem(annotation: Annotation, width: number, height: number) {
  if (annotation.type !== 'Mask' || !annotation.mask) return null;
  const [maskHeight, maskWidth] = annotation.mask.size;
  return maskWidth === width && maskHeight === height
    ? null
    : `mask of ${maskWidth}x${maskHeight} on an image of ${width}x${height} skipped`;
}

/**
 * What an annotation leaves to write inside a width×height image: fillableRings, and also
 * `{ skipped }` for geometry wholly outside the image.
 */
export function placeGeometry(
  annotation: Annotation,
  width: number,
  height: number,
): PlacedGeometry | { skipped: string } | null {
  const sizeProblem = maskSizeProblem(annotation, width, height);
  if (sizeProblem) return { skipped: sizeProblem };
  const rings = fillableRings(annotation);
  if (rings === null || 'skipped' in rings) return rings;
  const bounds = clippedBounds(rings, width, height);
  const clipped = rings
    .map((ring) => clipRing(ring, width, height))
    .filter((ring) => ring.length >= 3);
  if (!bounds || clipped.length === 0) {
    return { skipped: 'annotation lies outside the image and was skipped' };
  }
  return { rings, clipped, bounds };
}
