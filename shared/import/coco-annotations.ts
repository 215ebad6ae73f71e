import type { Annotation, DatasetItem } from '../model/types';
import {
  findById,
  isObject,
  metadataOf,
  tallyFields,
  type CocoObject,
  type Tally,
} from './coco-fields';
import { geometryOf, type ReadGeometry } from './coco-geometry';

export type ImportTaskType = 'classification' | 'object_detection' | 'instance_segmentation';

/** The store's annotations in file order, how many of each type, and the task type they make. */
export interface ParsedAnnotations {
  annotations: Annotation[];
  counts: Record<Annotation['type'], number>;
  /**
   * Classification when no annotation has geometry, instance segmentation when one is a polygon
   * or a mask that is not a crowd region, else object detection.
   */
  taskType: ImportTaskType;
}

/** An annotation whose image and category are the file's, with its geometry read. */
interface ReadAnnotation {
  item: DatasetItem;
  classId: number;
  geometry: ReadGeometry['geometry'];
  source: CocoObject;
  where: string;
}

/**
 * Annotations of the file's images and categories, each as the store holds it; one that names
 * neither is skipped and counted. Geometry is read first, so that a file of labels alone becomes
 * a classification task of Tags while in a file of shapes an annotation without one is skipped.
 */
export function parseAnnotations(
  list: unknown[],
  itemOf: ReadonlyMap<string, DatasetItem>,
  classIdOf: ReadonlyMap<string, number>,
  createdAt: string,
  tally: Tally,
): ParsedAnnotations {
  const read: ReadAnnotation[] = [];
  for (const [index, a] of list.entries()) {
    const annotation = readAnnotation(a, `annotations[${index}]`, itemOf, classIdOf, tally);
    if (annotation) read.push(annotation);
  }
  const labelsOnly = read.length > 0 && read.every((r) => r.geometry === null);
  const annotations: Annotation[] = [];
  const instances = new Map<number, number>();
  const counts = { Box: 0, Poly: 0, Mask: 0, Tag: 0 };
  let segmented = false;
  for (const { item, classId, geometry, source, where } of read) {
    if (!geometry && !labelsOnly) {
      tally.add('skipped: annotations without geometry in a file of boxes or polygons', where);
      continue;
    }
    const shape = geometry ?? { type: 'Tag' as const, box: null, poly: null };
    const crowd = source.iscrowd === 1 || source.iscrowd === true;
    if (shape.type === 'Poly' || (shape.type === 'Mask' && !crowd)) segmented = true;
    counts[shape.type]++;
    const instance = (instances.get(item.index) ?? 0) + 1;
    instances.set(item.index, instance);
    annotations.push({
      dataset_item_index: item.index,
      frame_index: 0,
      ...shape,
      class_id: classId,
      instance_id: instance,
      ...(crowd ? { is_crowd: true } : {}),
      is_open: false,
      annotators: '',
      meta_data: metadataOf(source, tally, where),
      created_at: createdAt,
      updated_at: createdAt,
    });
  }
  const taskType = labelsOnly
    ? 'classification'
    : segmented
      ? 'instance_segmentation'
      : 'object_detection';
  return { annotations, counts, taskType };
}

/** An annotation's image, class and geometry; null when it names no image or category of the file. */
function readAnnotation(
  a: unknown,
  where: string,
  itemOf: ReadonlyMap<string, DatasetItem>,
  classIdOf: ReadonlyMap<string, number>,
  tally: Tally,
): ReadAnnotation | null {
  if (!isObject(a)) {
    tally.add('skipped: annotations that are not objects', where);
    return null;
  }
  tallyFields(a, 'annotation', tally, 'annotations');
  const item = findById(itemOf, a.image_id);
  if (!item) {
    tally.add('skipped: annotations whose image_id is not an image of the file', where);
    return null;
  }
  const classId = findById(classIdOf, a.category_id);
  if (classId === undefined) {
    tally.add(
      a.category_id === undefined
        ? 'skipped: annotations without a category_id'
        : 'skipped: annotations whose category_id is not a category of the file',
      where,
    );
    return null;
  }
  const { geometry, fallback } = geometryOf(a, item.width, item.height);
  if (fallback) tally.add(fallback, where);
  return { item, classId, geometry, source: a, where };
}
