import { fixed, type Bounds } from '../../geometry';

/** DESIGN §7.7: YOLO coordinates are normalised to [0,1] with at most 6 decimals. */
export const YOLO_DECIMALS = 6;

/**
 * DESIGN §7.7's line, which Darknet and Ultralytics both train on: the 0-based class index and
 * the box centre and size, normalised to [0,1], from the geometry's tight box already clipped to
 * the image.
 */
export function toYoloRow(
  classIndex: number,
  bounds: Bounds,
  width: number,
  height: number,
): string {
  const xCenter = (bounds.xMin + bounds.xMax) / 2 / width;
  const yCenter = (bounds.yMin + bounds.yMax) / 2 / height;
  const boxWidth = (bounds.xMax - bounds.xMin) / width;
  const boxHeight = (bounds.yMax - bounds.yMin) / height;
  return [
    classIndex,
    ...[xCenter, yCenter, boxWidth, boxHeight].map((v) => fixed(v, YOLO_DECIMALS)),
  ].join(' ');
}
