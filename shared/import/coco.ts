import { ValidationError } from '../errors';
import type { Annotation, Dataset, DatasetItem, Project, Task, TaskClass } from '../model/types';
import { projectIdProblem, segmentProblem } from '../store/segments';
import { parseAnnotations, type ImportTaskType } from './coco-annotations';
import { parseCategories } from './coco-categories';
import { isObject, Tally, tallyFields, type ImportNotes } from './coco-fields';
import { contentTypeOf, parseImages, type ImageSource } from './coco-images';

export type { ImportTaskType } from './coco-annotations';
export { contentTypeOf, imageFormat, type ImageSource } from './coco-images';

export interface CocoImportOptions {
  projectId: string;
  projectName?: string;
  datasetId?: string;
  datasetName?: string;
  taskId?: string;
  taskName?: string;
  /**
   * Default: classification when no annotation has geometry, instance segmentation when one is
   * a polygon or a mask that is not a crowd region, else object detection.
   */
  taskType?: ImportTaskType;
  now?: Date;
}

/** Where the import writes: the store writer's methods it uses. */
export interface StoreSink {
  project(project: Project): Promise<void>;
  dataset(dataset: Dataset): Promise<void>;
  task(task: Task): Promise<void>;
  items(datasetId: string, items: Iterable<DatasetItem>): Promise<void>;
  annotations(taskId: string, datasetId: string, annotations: Iterable<Annotation>): Promise<void>;
  media(datasetId: string, mediaKey: string, body: Uint8Array, contentType: string): Promise<void>;
}

export interface CocoImportResult {
  project: Project;
  dataset: Dataset;
  task: Task;
  items: number;
  annotations: number;
  boxes: number;
  polygons: number;
  masks: number;
  tags: number;
  warnings: string[];
}

/** The lists of a COCO file, each checked to be a list. */
export interface CocoLists {
  images: unknown[];
  categories: unknown[];
  annotations: unknown[];
}

/** What the import writes: a whole project store of one dataset and one task. */
export interface ImportedStore {
  project: Project;
  dataset: Dataset;
  task: Task;
  items: DatasetItem[];
  annotations: Annotation[];
  media: Array<{ key: string; bytes: Uint8Array }>;
}

const MAX_LISTED_PROBLEMS = 50;
/** Images written to the store at once. */
const PARALLEL_MEDIA = 8;

/**
 * Builds a project store from a COCO file and its images (DESIGN §13): one dataset of the images in
 * file order, one task whose classes are the categories (a supercategory is kept as the class's,
 * and makes the category it names the parent). Polygons become Poly annotations, RLE masks Mask
 * annotations (crowd regions keep `is_crowd`), a segmentation that is its bbox's rectangle or
 * absent becomes a Box. Source ids are kept as `coco_id` metadata of items and annotations.
 * Whatever is not kept is counted in a warning per kind; every problem of the file is listed
 * before anything is written.
 */
export async function importCoco(
  value: unknown,
  readImage: ImageSource,
  sink: StoreSink,
  options: CocoImportOptions,
): Promise<CocoImportResult> {
  const notes: ImportNotes = { problems: [], tally: new Tally() };
  const lists = parseFile(value, options, notes.tally);
  const now = (options.now ?? new Date()).toISOString();
  const categories = parseCategories(lists.categories, notes);
  const images = await parseImages(lists.images, readImage, now, notes);
  const parsed = parseAnnotations(
    lists.annotations,
    images.itemOf,
    categories.classIdOf,
    now,
    notes.tally,
  );
  if (notes.problems.length > 0) throw new ValidationError(listed(notes.problems));
  const store = describeStore(
    options,
    categories.classes,
    options.taskType ?? parsed.taskType,
    now,
  );
  await writeStore(sink, {
    ...store,
    items: images.items,
    annotations: parsed.annotations,
    media: images.media,
  });
  return {
    ...store,
    items: images.items.length,
    annotations: parsed.annotations.length,
    boxes: parsed.counts.Box,
    polygons: parsed.counts.Poly,
    masks: parsed.counts.Mask,
    tags: parsed.counts.Tag,
    warnings: [...categories.warnings, ...notes.tally.lines()],
  };
}

/**
 * The lists of a COCO file, after the ids the import names its project, dataset and task with
 * (each checked as keys need them); a file that is no object or lacks a list fails with every
 * problem at once. Fields of the file that are not kept are tallied.
 */
export function parseFile(value: unknown, options: CocoImportOptions, tally: Tally): CocoLists {
  const problems = idProblems(options);
  if (problems.length > 0) throw new ValidationError(problems);
  if (!isObject(value)) throw new ValidationError(['the COCO file is not a JSON object']);
  for (const field of ['images', 'categories'] as const)
    if (!Array.isArray(value[field])) problems.push(`the COCO file has no "${field}" list`);
  if (value.annotations !== undefined && !Array.isArray(value.annotations))
    problems.push('the COCO file\'s "annotations" is not a list');
  if (problems.length > 0) throw new ValidationError(problems);
  tallyFields(value, 'file', tally, 'file');
  return {
    images: value.images as unknown[],
    categories: value.categories as unknown[],
    annotations: (value.annotations as unknown[] | undefined) ?? [],
  };
}

const datasetIdOf = (options: CocoImportOptions) => options.datasetId ?? 'images';
const taskIdOf = (options: CocoImportOptions) => options.taskId ?? 'labels';

function idProblems(options: CocoImportOptions): string[] {
  const problems: string[] = [];
  const projectProblem = projectIdProblem(options.projectId);
  if (projectProblem)
    problems.push(`project id ${JSON.stringify(options.projectId)} ${projectProblem}`);
  for (const [what, id] of [
    ['dataset id', datasetIdOf(options)],
    ['task id', taskIdOf(options)],
  ] as const) {
    const problem = segmentProblem(id);
    if (problem) problems.push(`${what} ${JSON.stringify(id)} ${problem}`);
  }
  return problems;
}

/** The first MAX_LISTED_PROBLEMS problems, and how many more there are. */
function listed(problems: string[]): string[] {
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS);
  if (problems.length > shown.length)
    shown.push(`... and ${problems.length - shown.length} more problems`);
  return shown;
}

/** The project, dataset and task the import makes, named as the options say. */
export function describeStore(
  options: CocoImportOptions,
  classes: TaskClass[],
  taskType: ImportTaskType,
  now: string,
): Pick<ImportedStore, 'project' | 'dataset' | 'task'> {
  const datasetId = datasetIdOf(options);
  const taskId = taskIdOf(options);
  return {
    project: {
      id: options.projectId,
      name: options.projectName ?? options.projectId,
      created_at: now,
    },
    dataset: {
      id: datasetId,
      name: options.datasetName ?? datasetId,
      media: 'image',
      item_metadata_definitions: [],
    },
    task: {
      id: taskId,
      name: options.taskName ?? taskId,
      type: taskType,
      media: 'image',
      dataset_ids: [datasetId],
      classes,
      rotation_enabled: false,
      annotation_metadata_definitions: [],
    },
  };
}

/**
 * Writes the store: media first and the store's descriptions last, the project the very last, so
 * that a store that is readable is complete.
 */
export async function writeStore(sink: StoreSink, store: ImportedStore): Promise<void> {
  const { dataset, task } = store;
  const queue = [...store.media];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_MEDIA, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift())
        await sink.media(dataset.id, next.key, next.bytes, contentTypeOf(next.key));
    }),
  );
  await sink.items(dataset.id, store.items);
  await sink.annotations(task.id, dataset.id, store.annotations);
  await sink.dataset(dataset);
  await sink.task(task);
  await sink.project(store.project);
}
