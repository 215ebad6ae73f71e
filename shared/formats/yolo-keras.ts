import type { Bounds } from '../geometry';
import { classIndices, classListFile } from './common/class-list';
import { placedObjects } from './common/items';
import { concatenate, firstPartOnly } from './common/merge';
import { GEOMETRY_TASK_TYPES, type Format, type RenderInput, type RenderedFile } from './types';

export const KERAS_ANNOTATIONS_FILE = 'yolokeras.annotations.txt';
export const KERAS_CLASSES_FILE = 'yolokeras.classes.txt';

/** DESIGN §7.8's box: `x_min,y_min,x_max,y_max,class` in whole pixels of the clipped tight box. */
export function toKerasBox(bounds: Bounds, classIndex: number): string {
  return [
    Math.round(bounds.xMin),
    Math.round(bounds.yMin),
    Math.round(bounds.xMax),
    Math.round(bounds.yMax),
    classIndex,
  ].join(',');
}

/** Where the item's image is in the archive, relative to the folder holding `datasets/`. */
export function kerasImagePath(datasetFolder: string, itemName: string): string {
  return `datasets/${datasetFolder}/${itemName}`;
}

async function* renderKeras(input: RenderInput): AsyncIterable<RenderedFile> {
  const indices = classIndices(input.task);
  const folder = input.datasetFolder ?? input.dataset.name;
  const lines = input.items.map((item) => {
    const boxes = placedObjects(input, item).map(({ placed, cls }) =>
      toKerasBox(placed.bounds, indices.get(cls.id)!),
    );
    return [kerasImagePath(folder, item.name), ...boxes].join(' ') + '\n';
  });
  yield { path: KERAS_ANNOTATIONS_FILE, body: lines.join('') };
  yield { path: KERAS_CLASSES_FILE, body: classListFile(input.task) };
}

export const yoloKeras: Format = {
  id: 'yolo_keras',
  version: '1.0',
  label: 'YOLO Keras (.txt)',
  taskTypes: GEOMETRY_TASK_TYPES,
  media: ['image'],
  whitespaceFreePaths: true,
  render: renderKeras,
  merges: [concatenate(KERAS_ANNOTATIONS_FILE), firstPartOnly(KERAS_CLASSES_FILE)],
};
