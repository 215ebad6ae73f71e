import type { TaskClass } from '../model/types';
import {
  idKey,
  isId,
  isObject,
  tallyFields,
  type CocoObject,
  type ImportNotes,
} from './coco-fields';

/** The task's classes, the class id of each category id (by idKey), and how ids were changed. */
export interface ParsedCategories {
  classes: TaskClass[];
  classIdOf: Map<string, number>;
  warnings: string[];
}

/**
 * Categories as the task's classes, in file order. Class ids must be integers ≥ 1: files counting
 * from 0 are shifted as a whole, and files with other ids (strings, fractions) are numbered by
 * position. A supercategory that names another category makes it the parent; any other is kept.
 */
export function parseCategories(list: unknown[], notes: ImportNotes): ParsedCategories {
  const categories = list.filter((c, i) => {
    if (isObject(c)) return true;
    notes.problems.push(`categories[${i}] is not an object`);
    return false;
  }) as CocoObject[];
  categories.forEach((c, i) => {
    if (!isId(c.id)) notes.problems.push(`categories[${i}].id is missing`);
    if (typeof c.name !== 'string' || c.name === '')
      notes.problems.push(`categories[${i}].name is missing`);
    tallyFields(c, 'category', notes.tally, 'categories');
  });
  const keys = categories.map((c) => (isId(c.id) ? idKey(c.id) : ''));
  if (new Set(keys).size !== keys.length) notes.problems.push('category ids repeat');
  const { classIdOf, warnings } = numberClasses(categories, keys);
  return { classes: classesOf(categories, keys, classIdOf), classIdOf, warnings };
}

function numberClasses(
  categories: CocoObject[],
  keys: string[],
): Pick<ParsedCategories, 'classIdOf' | 'warnings'> {
  const integerIds = categories.every((c) => Number.isInteger(c.id));
  const numbers = categories.map((c) => c.id as number);
  const shift =
    integerIds && numbers.length > 0 && Math.min(...numbers) < 1 ? 1 - Math.min(...numbers) : 0;
  const warnings: string[] = [];
  if (!integerIds)
    warnings.push('category ids are not all integers: classes are numbered 1.. in file order');
  else if (shift > 0)
    warnings.push(`category ids start below 1: every class id is the category id + ${shift}`);
  const classIdOf = new Map(
    categories.map((c, i) => [keys[i]!, integerIds ? (c.id as number) + shift : i + 1]),
  );
  return { classIdOf, warnings };
}

function classesOf(
  categories: CocoObject[],
  keys: string[],
  classIdOf: Map<string, number>,
): TaskClass[] {
  const byName = new Map(categories.map((c, i) => [c.name, classIdOf.get(keys[i]!)!]));
  return categories.map((c, i) => {
    const id = classIdOf.get(keys[i]!)!;
    const supercategory =
      typeof c.supercategory === 'string' && c.supercategory !== '' ? c.supercategory : undefined;
    const parent = supercategory !== undefined ? byName.get(supercategory) : undefined;
    const parentId = parent !== undefined && parent !== id ? parent : null;
    // A supercategory that names the parent is the parent's name already: only others are kept.
    return {
      id,
      name: String(c.name ?? ''),
      parent_id: parentId,
      ...(supercategory !== undefined && parentId === null ? { supercategory } : {}),
    };
  });
}
