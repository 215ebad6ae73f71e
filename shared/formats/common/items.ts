import { placeGeometry, type PlacedGeometry } from '../../geometry';
import type { Annotation, TaskClass } from '../../model/types';
import { stem } from '../../names';
import { classLookup } from './class-list';
import type { ExportItem, RenderInput } from '../types';

/*
 * What renderers read off an export item: the stem its files are named after, how a warning
 * names one of its annotations, and the objects a box format writes for it.
 */

/** An item's name without its last extension: the stem of its per-image annotation file. */
export function itemStem(name: string): string {
  return stem(name);
}

/** How a warning names an annotation: the item and the frame. */
export function annotationPlace(item: ExportItem, annotation: Annotation): string {
  return `${item.name} frame ${annotation.frame_index}`;
}

/**
 * Boxes under one pixel wide or high (after clipping) carry no pixel a detector could learn from,
 * and VOC's 1-based inclusive pixels cannot even write them (`xmin == xmax` is a whole pixel):
 * every box format (VOC, KITTI, the YOLOs) skips them with a warning, so that they agree.
 */
export const MIN_BOX_PIXELS = 1;

/** An object a box format writes: the annotation, its geometry placed in the image, its class. */
export interface PlacedObject {
  annotation: Annotation;
  placed: PlacedGeometry;
  cls: TaskClass;
}

/**
 * The objects of an item a box format writes, in stored order: every annotation with geometry
 * left inside the image, with its class. Tags are passed over; skipped geometry (and boxes under
 * MIN_BOX_PIXELS) is reported through `input.warn`.
 */
export function placedObjects(input: RenderInput, item: ExportItem): PlacedObject[] {
  const lookup = classLookup(input.task);
  const objects: PlacedObject[] = [];
  for (const annotation of item.annotations) {
    const where = annotationPlace(item, annotation);
    const placed = placeGeometry(annotation, item.item.width, item.item.height);
    if (placed === null) continue;
    if ('skipped' in placed) {
      input.warn(`${where}: ${placed.skipped}`);
      continue;
    }
    const { bounds } = placed;
    if (bounds.xMax - bounds.xMin < MIN_BOX_PIXELS || bounds.yMax - bounds.yMin < MIN_BOX_PIXELS) {
      input.warn(`${where}: box under one pixel wide or high skipped`);
      continue;
    }
    objects.push({ annotation, placed, cls: lookup(annotation, where) });
  }
  return objects;
}
