import { ValidationError } from '../../errors';
import type { Annotation, Task, TaskClass } from '../../model/types';

/*
 * A task's classes as formats write them: in one order, by ascending id, which every class list,
 * 0-based class index, category list and mask value follows (DESIGN §7.7, §8).
 */

/** The task's classes by ascending id: the order of every class list and 0-based class index. */
export function classesByAscendingId(task: Pick<Task, 'classes'>): TaskClass[] {
  return [...task.classes].sort((a, b) => a.id - b.id);
}

/** A class list file's line for a class: its name on one line. */
export function classLine(name: string): string {
  return name.replace(/[\r\n]+/g, ' ');
}

/** The class list, one name a line by ascending id: a class's index is its 0-based line. */
export function classListFile(task: Pick<Task, 'classes'>): string {
  return classesByAscendingId(task)
    .map((c) => classLine(c.name) + '\n')
    .join('');
}

/** 0-based index of each class id in the class list file. */
export function classIndices(task: Pick<Task, 'classes'>): Map<number, number> {
  return new Map(classesByAscendingId(task).map((c, index) => [c.id, index]));
}

/** Looks classes up by id, failing with the item and frame when an annotation names an unknown class. */
export function classLookup(
  task: Pick<Task, 'classes'>,
): (annotation: Annotation, where: string) => TaskClass {
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
