import { fixed, placeGeometry, type Bounds } from '../geometry';
import type { Annotation, Box, Point, Rings, Task } from '../model/types';
import { classLookup } from './common/class-list';
import { annotationPlace } from './common/items';
import { csvWithHeader } from './common/merge';
import type { Format, RenderInput, RenderedFile } from './types';

export const CSV_FILE = 'annotations.csv';
export const CSV_COLUMNS = [
  'image_name',
  'width',
  'height',
  'task_type',
  'class',
  'points',
  'rotation',
] as const;
/** RFC 4180 ends every record, the last one included, with CRLF. */
const LINE_END = '\r\n';
export const CSV_HEADER = CSV_COLUMNS.join(',') + LINE_END;

/** Sub-pixel precision without float noise, as COCO writes coordinates. */
const POINT_DECIMALS = 4;
const ROTATION_DECIMALS = 6;

/** One field quoted as RFC 4180 asks: only when it holds a comma, a quote or a line break. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function pointText(p: Point): string {
  return `[${fixed(p.x, POINT_DECIMALS)},${fixed(p.y, POINT_DECIMALS)}]`;
}

function ringText(ring: Point[]): string {
  return `[${ring.map(pointText).join(',')}]`;
}

/** DESIGN §7.3 points: one polygon `[[x,y],...]`, several `[[[x,y],...],...]`. */
export function polygonPoints(rings: Rings): string {
  return rings.length === 1 ? ringText(rings[0]!) : `[${rings.map(ringText).join(',')}]`;
}

/** DESIGN §7.3 points of a box: `[[x_min,y_min],[x_max,y_max]]`. */
export function boxPoints(bounds: Bounds): string {
  return ringText([
    { x: bounds.xMin, y: bounds.yMin },
    { x: bounds.xMax, y: bounds.yMax },
  ]);
}

/** A record's fields before quoting, in CSV_COLUMNS order. */
export interface CsvRow {
  imageName: string;
  width: number;
  height: number;
  taskType: string;
  className: string;
  points: string;
  rotation: string;
}

export function toCsvRow(row: CsvRow): string {
  return (
    [row.imageName, row.width, row.height, row.taskType, row.className, row.points, row.rotation]
      .map(csvField)
      .join(',') + LINE_END
  );
}

function isRotated(box: Box | null): box is Box {
  return !!box && box.orientation !== null && box.orientation !== 0;
}

/**
 * The points and rotation of an annotation that has geometry. A rotated box keeps its unrotated
 * box with the angle beside it (a rotated rectangle clipped to the image is no rectangle, so it
 * is written whole); without a rotation column (rotation disabled) it becomes its tight box.
 * Everything else is clipped to the image as COCO clips it.
 */
function geometryFields(
  annotation: Annotation,
  task: Task,
  clipped: Rings,
  bounds: Bounds,
): { points: string; rotation: string } {
  const box = annotation.type === 'Box' ? annotation.box : null;
  if (!box) return { points: polygonPoints(clipped), rotation: '' };
  if (!task.rotation_enabled) return { points: boxPoints(bounds), rotation: '' };
  if (!isRotated(box)) return { points: boxPoints(bounds), rotation: '0' };
  return {
    points: boxPoints({ xMin: box.x, yMin: box.y, xMax: box.x + box.w, yMax: box.y + box.h }),
    rotation: fixed(box.orientation!, ROTATION_DECIMALS),
  };
}

async function* renderCsv(input: RenderInput): AsyncIterable<RenderedFile> {
  const lookup = classLookup(input.task);
  const lines: string[] = [CSV_HEADER];
  for (const item of input.items) {
    const { width, height } = item.item;
    for (const annotation of item.annotations) {
      const where = annotationPlace(item, annotation);
      let fields = { points: '', rotation: '' };
      if (annotation.type !== 'Tag') {
        const placed = placeGeometry(annotation, width, height);
        if (placed === null) continue;
        if ('skipped' in placed) {
          input.warn(`${where}: ${placed.skipped}`);
          continue;
        }
        fields = geometryFields(annotation, input.task, placed.clipped, placed.bounds);
      }
      lines.push(
        toCsvRow({
          imageName: item.name,
          width,
          height,
          taskType: input.task.type,
          className: lookup(annotation, where).name,
          ...fields,
        }),
      );
    }
  }
  yield { path: CSV_FILE, body: lines.join('') };
}

export const csv: Format = {
  id: 'csv',
  version: '1.0',
  label: 'CSV (.csv)',
  taskTypes: [
    'classification',
    'object_detection',
    'semantic_segmentation',
    'instance_segmentation',
  ],
  media: ['image'],
  render: renderCsv,
  merges: [csvWithHeader(CSV_FILE, CSV_HEADER)],
};
