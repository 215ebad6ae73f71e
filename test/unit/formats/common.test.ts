/** What the formats share (shared/formats/common/): the class list, item file names, subset names. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import {
  classIndices,
  classLine,
  classListFile,
  classLookup,
  classesByAscendingId,
} from '../../../shared/formats/common/class-list';
import { itemStem } from '../../../shared/formats/common/items';
import { subsetName } from '../../../shared/formats/common/trainer-splits';
import { maskClasses } from '../../../shared/masks/classes';
import { anAnnotation, aTask } from '../../helpers/builders';

/** Classes listed out of id order, one name on two lines. */
const TASK = aTask({
  classes: [
    { id: 5, name: 'two\r\nlines', parent_id: null },
    { id: 2, name: 'car', parent_id: null },
    { id: 9, name: 'a & b', parent_id: 2 },
  ],
});

describe('the class list', () => {
  it('orders the classes by ascending id, whatever order the task lists them in', () => {
    expect(classesByAscendingId(TASK).map((c) => c.id)).toEqual([2, 5, 9]);
    expect(TASK.classes.map((c) => c.id)).toEqual([5, 2, 9]);
  });

  it('writes one name a line, each on one line, in that order', () => {
    expect(classListFile(TASK)).toBe('car\ntwo lines\na & b\n');
  });

  it('gives each class id its 0-based line in the class list', () => {
    expect([...classIndices(TASK)]).toEqual([
      [2, 0],
      [5, 1],
      [9, 2],
    ]);
  });

  it('gives mask values in the same order, from 1', () => {
    expect([...maskClasses(TASK).values()].map((c) => [c.id, c.value])).toEqual([
      [2, 1],
      [5, 2],
      [9, 3],
    ]);
  });

  it('keeps each class name on one line', () => {
    expect(['two\r\nlines', 'a\nb\rc', 'a & b'].map(classLine)).toEqual([
      'two lines',
      'a b c',
      'a & b',
    ]);
  });

  it('finds an annotation by its class, and names the place of one whose class is unknown', () => {
    const lookup = classLookup(TASK);
    expect(lookup(anAnnotation({ class_id: 9 }), 'a.jpg frame 0').name).toBe('a & b');
    const unknown = () => lookup(anAnnotation({ class_id: 4 }), 'a.jpg frame 3');
    expect(unknown).toThrow(ValidationError);
    expect(unknown).toThrow('a.jpg frame 3: class id 4 is not a class of the task');
  });
});

describe('item file names', () => {
  it('names the files of an item after its name without the last extension', () => {
    expect(['a.jpg', 'c.d.jpg', 'noext', 'batch_1/000006.jpg'].map(itemStem)).toEqual([
      'a',
      'c.d',
      'noext',
      'batch_1/000006',
    ]);
  });
});

describe('subset names in trainer files', () => {
  it('names every item train without a split, and a subset by its name', () => {
    expect(subsetName(null)).toBe('train');
    expect(subsetName(undefined)).toBe('train');
    expect(subsetName('val')).toBe('val');
  });
});
