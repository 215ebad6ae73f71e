import { ValidationError } from '../errors';
import { placeGeometry, type PlacedGeometry } from '../geometry';
import type { Annotation, Task, TaskClass } from '../model/types';
import { stem } from '../names';
import type { ExportItem, MergeRule, Part, RenderInput } from './types';

/*
 * Merge rules for per-dataset files that every shard writes (DESIGN §11), and the small pieces of
 * rendering that several formats share.
 */

/** A file every shard writes identically (a class list, metadata definitions): the first part is the file. */
export function firstPartOnly(path: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      for await (const part of parts()) {
        yield part.body;
        return;
      }
    },
  };
}

/** A line-oriented file whose parts each end with a line break: the file is the parts in shard order. */
export function concatenate(path: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      for await (const part of parts()) yield part.body;
    },
  };
}

/**
 * A CSV file whose parts each start with the same header line (ending in CRLF): the header once,
 * then every part's records in shard order.
 */
export function csvWithHeader(path: string, headerLine: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      yield headerLine;
      for await (const part of parts()) yield withoutPrefix(part, headerLine, path);
    },
  };
}

/** A compact JSON array per part: one array holding every part's elements in shard order. */
export function jsonArrayConcatenation(path: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      yield '[';
      let first = true;
      for await (const part of parts()) {
        const body = part.body.trim();
        if (!body.startsWith('[') || !body.endsWith(']')) {
          throw new Error(`${path}: part of shard ${part.shard} is not a JSON array`);
        }
        const elements = body.slice(1, -1);
        if (elements.trim() === '') continue;
        yield (first ? '' : ',') + elements;
        first = false;
      }
      yield ']';
    },
  };
}

function withoutPrefix(part: Part, prefix: string, path: string): string {
  if (!part.body.startsWith(prefix)) {
    throw new Error(`${path}: part of shard ${part.shard} does not start with the expected header`);
  }
  return part.body.slice(prefix.length);
}

/** An item's name without its last extension: the stem of its per-image annotation file. */
export function itemStem(name: string): string {
  return stem(name);
}

/** The task's classes by ascending id: the order of every class list and 0-based class index. */
export function classesByAscendingId(task: Task): TaskClass[] {
  return [...task.classes].sort((a, b) => a.id - b.id);
}

/** A class list file's line for a class: its name on one line. */
export function classLine(name: string): string {
  return name.replace(/[\r\n]+/g, ' ');
}

/** Looks classes up by id, failing with the item and frame when an annotation names an unknown class. */
export function classLookup(task: Task): (annotation: Annotation, where: string) => TaskClass {
  const byId = new Map(task.classes.map((c) => [c.id, c]));
  return (annotation, where) => {
    const found = byId.get(annotation.class_id);
    if (!found) {
      throw new ValidationError(
        `${where}: class id ${annotation.class_id} is not a class of the task`,
      );
    }
    return found;
  };
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

/**
 * The objects of an item a box format writes, in stored order: every annotation with geometry
 * left inside the image, with its class. Tags are passed over; skipped geometry (and boxes under
 * MIN_BOX_PIXELS) is reported through `input.warn`.
 */
export function placedObjects(
  input: RenderInput,
  item: ExportItem,
): Array<{ annotation: Annotation; placed: PlacedGeometry; cls: TaskClass }> {
  const lookup = classLookup(input.task);
  const objects: Array<{ annotation: Annotation; placed: PlacedGeometry; cls: TaskClass }> = [];
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

/** Which subsets a trainer's `train`, `val` and `test` entries name (README, trainer layouts). */
export interface TrainerSplits {
  train: string;
  val: string;
  test: string | null;
}

const VAL_NAMES = ['val', 'valid', 'validation'];

/**
 * Without a split every item is in one subset, `train`, and validation points at it too. With a
 * split: `train` is the subset named so (else the first), `val` the one named val, valid or
 * validation (else the first other subset that is not `test`, else `test`, else train itself),
 * `test` the one named test when it is not val already. Only subsets that hold items count: a trainer fails on an empty folder.
 */
export function trainerSplits(subsets: string[] | null | undefined): TrainerSplits {
  if (!subsets || subsets.length === 0) return { train: 'train', val: 'train', test: null };
  const train = subsets.includes('train') ? 'train' : subsets[0]!;
  const others = subsets.filter((s) => s !== train);
  const val =
    others.find((s) => VAL_NAMES.includes(s)) ??
    others.find((s) => s !== 'test') ??
    others[0] ??
    train;
  const test = others.includes('test') && val !== 'test' ? 'test' : null;
  return { train, val, test };
}
