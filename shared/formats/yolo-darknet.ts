import { fixed, type Bounds } from '../geometry';
import { classLine, classesByAscendingId, firstPartOnly, itemStem, placedObjects } from './merge';
import type { Format, RenderInput, RenderedFile } from './types';

export const DARKNET_LABELS_FILE = 'darknet.labels';
export const DARKNET_EXTENSION = '.txt';
/** DESIGN §7.7: at most 6 decimals. */
const DECIMALS = 6;

/**
 * DESIGN §7.7's line: the 0-based class index and the box centre and size, normalised to [0,1],
 * from the geometry's tight box already clipped to the image.
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
    ...[xCenter, yCenter, boxWidth, boxHeight].map((v) => fixed(v, DECIMALS)),
  ].join(' ');
}

/** The class list, one name a line by ascending id: a class's index is its 0-based line. */
export function classListFile(input: Pick<RenderInput, 'task'>): string {
  return classesByAscendingId(input.task)
    .map((c) => classLine(c.name) + '\n')
    .join('');
}

/** 0-based index of each class id in the class list file. */
export function classIndices(input: Pick<RenderInput, 'task'>): Map<number, number> {
  return new Map(classesByAscendingId(input.task).map((c, index) => [c.id, index]));
}

async function* renderDarknet(input: RenderInput): AsyncIterable<RenderedFile> {
  const indices = classIndices(input);
  for (const item of input.items) {
    const { width, height } = item.item;
    const lines = placedObjects(input, item).map(
      ({ placed, cls }) => toYoloRow(indices.get(cls.id)!, placed.bounds, width, height) + '\n',
    );
    yield { path: itemStem(item.name) + DARKNET_EXTENSION, body: lines.join('') };
  }
  yield { path: DARKNET_LABELS_FILE, body: classListFile(input) };
}

export const yoloDarknet: Format = {
  id: 'yolo_darknet',
  label: 'YOLO Darknet (.txt)',
  taskTypes: ['object_detection', 'semantic_segmentation', 'instance_segmentation'],
  media: ['image'],
  render: renderDarknet,
  merges: [firstPartOnly(DARKNET_LABELS_FILE)],
};
