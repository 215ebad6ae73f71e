import { subsetPrefix } from '../pipeline/work';
import { classIndices, classListFile } from './common/class-list';
import { itemStem, placedObjects } from './common/items';
import { concatenate, firstPartOnly } from './common/merge';
import { subsetName, trainerSplits } from './common/trainer-splits';
import { toYoloRow } from './common/yolo-rows';
import { GEOMETRY_TASK_TYPES, type Format, type RenderInput, type RenderedFile } from './types';

export const DARKNET_LABELS_FILE = 'darknet.labels';
export const DARKNET_EXTENSION = '.txt';
/** Darknet's own files at the archive root: class names, the data file and the image lists. */
export const DARKNET_NAMES_FILE = 'obj.names';
export const DARKNET_DATA_FILE = 'obj.data';
const LIST_FILE = /^[a-z0-9_-]{1,32}\.txt$/;
async function* renderDarknet(input: RenderInput): AsyncIterable<RenderedFile> {
  const indices = classIndices(input.task);
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
  yield { path: DARKNET_LABELS_FILE, body: classListFile(input.task) };
  yield { path: DARKNET_NAMES_FILE, body: classListFile(input.task), root: true };
  yield { path: DARKNET_DATA_FILE, body: darknetData(input), root: true };
  yield { path: listFile(subset), body: list.join(''), root: true };
}

/** The image list of a subset: `{subset}.txt`, or `train.txt` without a split. */
function listFile(subset: string | null): string {
  return `${subsetName(subset)}.txt`;
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
  version: '1.0',
  label: 'YOLO Darknet (.txt)',
  taskTypes: GEOMETRY_TASK_TYPES,
  media: ['image'],
  whitespaceFreePaths: true,
  render: renderDarknet,
  merges: [
    firstPartOnly(DARKNET_LABELS_FILE),
    { ...firstPartOnly(DARKNET_NAMES_FILE), root: true },
    { ...firstPartOnly(DARKNET_DATA_FILE), root: true },
    { ...concatenate(LIST_FILE), root: true },
  ],
};
