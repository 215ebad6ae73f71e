import { fixed } from '../geometry';
import type { Point, Rings } from '../model/types';
import { classIndices, classLine, classesByAscendingId } from './common/class-list';
import { itemStem, placedObjects } from './common/items';
import { firstPartOnly } from './common/merge';
import { subsetName, trainerSplits } from './common/trainer-splits';
import { toYoloRow, YOLO_DECIMALS } from './common/yolo-rows';
import { GEOMETRY_TASK_TYPES, type Format, type RenderInput, type RenderedFile } from './types';

/*
 * The layout Ultralytics trains on as is (`yolo train data=data.yaml`): images under
 * `images/{subset}/`, one label file per image under `labels/{subset}/` at the path Ultralytics
 * derives from the image's (img2label_paths: the last `/images/` of the path becomes `/labels/`,
 * the extension `.txt`), and data.yaml at the archive root.
 */

export const DATA_YAML = 'data.yaml';
export const IMAGES_ROOT = 'images';
export const LABELS_ROOT = 'labels';

/**
 * A folder named `images` below the images root would be the one Ultralytics swaps for `labels`
 * (it replaces the last `/images/` of the path): such folders get a trailing `_`.
 */
function layoutPath(datasetFolder: string, itemName: string): string {
  const segments = `${datasetFolder}/${itemName}`.split('/');
  return segments
    .map((segment, i) =>
      i < segments.length - 1 && segment === IMAGES_ROOT ? `${segment}_` : segment,
    )
    .join('/');
}

export function ultralyticsImagePath(
  subset: string | null,
  datasetFolder: string,
  itemName: string,
): string {
  return `${IMAGES_ROOT}/${subsetName(subset)}/${layoutPath(datasetFolder, itemName)}`;
}

/** Where Ultralytics looks for an image's labels: its path under `labels/` with `.txt`. */
export function ultralyticsLabelPath(
  subset: string | null,
  datasetFolder: string,
  itemName: string,
): string {
  const relative = itemStem(layoutPath(datasetFolder, itemName));
  return `${LABELS_ROOT}/${subsetName(subset)}/${relative}.txt`;
}

/** A YOLO-seg line: the class index and the polygon's vertices normalised to [0,1]. */
export function toSegmentRow(
  classIndex: number,
  ring: Point[],
  width: number,
  height: number,
): string {
  const coordinates = ring.flatMap((p) => [
    fixed(p.x / width, YOLO_DECIMALS),
    fixed(p.y / height, YOLO_DECIMALS),
  ]);
  return [classIndex, ...coordinates].join(' ');
}

function nearestPair(a: Point[], b: Point[]): [number, number] {
  let best = Infinity;
  let pair: [number, number] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const d = (a[i]!.x - b[j]!.x) ** 2 + (a[i]!.y - b[j]!.y) ** 2;
      if (d < best) {
        best = d;
        pair = [i, j];
      }
    }
  }
  return pair;
}

/**
 * One polygon through every part of a multi-part object, as Ultralytics' COCO converter makes it
 * (merge_multi_segment): each part is entered at the vertex nearest the previous part and left
 * back the same way, so the parts are joined by zero-width bridges and the filled area is their
 * union. YOLO-seg has one polygon per object line.
 */
export function bridgeRings(rings: Rings): Point[] {
  const walk = (index: number, entry: number): Point[] => {
    const ring = rings[index]!;
    const next = rings[index + 1];
    const [exit, nextEntry] = next ? nearestPair(ring, next) : [-1, 0];
    const out: Point[] = [];
    for (let k = 0; k <= ring.length; k++) {
      const at = (entry + k) % ring.length;
      out.push(ring[at]!);
      if (at === exit && k < ring.length) {
        out.push(...walk(index + 1, nextEntry), ring[at]!);
      }
    }
    return out;
  };
  if (rings.length === 1) return rings[0]!;
  const path = walk(0, 0);
  // The walk ends where it started: the polygon closes by itself.
  return path.slice(0, -1);
}

async function* renderUltralytics(input: RenderInput): AsyncIterable<RenderedFile> {
  const indices = classIndices(input.task);
  const folder = input.datasetFolder ?? input.dataset.name;
  const segmentation = input.task.type !== 'object_detection';
  const subset = input.subset ?? null;
  for (const item of input.items) {
    const { width, height } = item.item;
    const lines: string[] = [];
    for (const { placed, cls } of placedObjects(input, item)) {
      const index = indices.get(cls.id)!;
      if (!segmentation) {
        lines.push(toYoloRow(index, placed.bounds, width, height));
        continue;
      }
      // A box is its (rotated) corners clipped to the image; an object of several parts is one
      // line, its parts bridged (YOLO-seg has one polygon per object).
      lines.push(toSegmentRow(index, bridgeRings(placed.clipped), width, height));
    }
    yield {
      path: ultralyticsLabelPath(subset, folder, item.name),
      body: lines.map((line) => line + '\n').join(''),
      root: true,
    };
  }
  yield { path: DATA_YAML, body: dataYaml(input), root: true };
}

/**
 * data.yaml as check_det_dataset reads it: `path` empty (Ultralytics then takes the folder the
 * file is in), train / val / test relative to it, and `names` by 0-based index.
 */
export function dataYaml(input: Pick<RenderInput, 'task' | 'subsets'>): string {
  const splits = trainerSplits(input.subsets);
  const lines = [
    '# Ultralytics YOLO dataset: yolo train data=data.yaml (path empty: the folder of this file)',
    "path: ''",
    `train: ${IMAGES_ROOT}/${splits.train}`,
    `val: ${IMAGES_ROOT}/${splits.val}`,
    ...(splits.test ? [`test: ${IMAGES_ROOT}/${splits.test}`] : []),
    `nc: ${input.task.classes.length}`,
    'names:',
    ...classesByAscendingId(input.task).map(
      (c, index) => `  ${index}: ${JSON.stringify(classLine(c.name))}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

export const yoloUltralytics: Format = {
  id: 'yolo_ultralytics',
  version: '1.0',
  label: 'YOLO Ultralytics (data.yaml)',
  taskTypes: GEOMETRY_TASK_TYPES,
  media: ['image'],
  mediaPath: ultralyticsImagePath,
  render: renderUltralytics,
  merges: [{ ...firstPartOnly(DATA_YAML), root: true }],
};
