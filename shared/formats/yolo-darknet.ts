import { fixed, type Bounds } from '../geometry';
import { subsetPrefix } from '../pipeline/work';
import {
  classLine,
  classesByAscendingId,
  concatenate,
  firstPartOnly,
  itemStem,
  placedObjects,
  trainerSplits,
} from './merge';
import type { Format, RenderInput, RenderedFile } from './types';

export const DARKNET_LABELS_FILE = 'darknet.labels';
export const DARKNET_EXTENSION = '.txt';
/** Darknet's own files at the archive root: class names, the data file and the image lists. */
export const DARKNET_NAMES_FILE = 'obj.names';
export const DARKNET_DATA_FILE = 'obj.data';
const LIST_FILE = /^[a-z0-9_-]{1,32}\.txt$/;
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
  const folder = input.datasetFolder ?? input.dataset.name;
  const subset = input.subset ?? null;
  const list: string[] = [];
  for (const item of input.items) {
    const { width, height } = item.item;
    const lines = placedObjects(input, item).map(
      ({ placed, cls }) => toYoloRow(indices.get(cls.id)!, placed.bounds, width, height) + '\n',
    );
    const body = lines.join('');
    yield { path: itemStem(item.name) + DARKNET_EXTENSION, body };
    // Darknet reads an image's labels from the .txt beside it: with the images in the archive,
    // a copy of each label file sits there too.
    const image = `${subsetPrefix(subset)}datasets/${folder}/${item.name}`;
    if (item.url === image) yield { path: itemStem(image) + DARKNET_EXTENSION, body, root: true };
    list.push(image + '\n');
  }
  yield { path: DARKNET_LABELS_FILE, body: classListFile(input) };
  yield { path: DARKNET_NAMES_FILE, body: classListFile(input), root: true };
  yield { path: DARKNET_DATA_FILE, body: darknetData(input), root: true };
  yield { path: listFile(subset), body: list.join(''), root: true };
}

/** The image list of a subset: `{subset}.txt`, or `train.txt` without a split. */
function listFile(subset: string | null): string {
  return `${subset ?? trainerSplits(null).train}.txt`;
}

/**
 * obj.data as `darknet detector train obj.data ...` reads it, run from the archive's root folder
 * (the lists' image paths are relative to it).
 */
export function darknetData(input: Pick<RenderInput, 'task' | 'subsets'>): string {
  const splits = trainerSplits(input.subsets);
  return [
    `classes = ${input.task.classes.length}`,
    `train = ${listFile(splits.train)}`,
    `valid = ${listFile(splits.val)}`,
    `names = ${DARKNET_NAMES_FILE}`,
    'backup = backup/',
    '',
  ].join('\n');
}

export const yoloDarknet: Format = {
  id: 'yolo_darknet',
  label: 'YOLO Darknet (.txt)',
  taskTypes: ['object_detection', 'semantic_segmentation', 'instance_segmentation'],
  media: ['image'],
  whitespaceFreePaths: true,
  render: renderDarknet,
  merges: [
    firstPartOnly(DARKNET_LABELS_FILE),
    { ...firstPartOnly(DARKNET_NAMES_FILE), root: true },
    { ...firstPartOnly(DARKNET_DATA_FILE), root: true },
    { root: true, matches: (path) => LIST_FILE.test(path), merge: concatenate('').merge },
  ],
};
