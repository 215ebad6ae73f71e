import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  assignSubsets,
  stableSubsetOf,
  subsetSizes,
  validateSplit,
  type ItemKey,
  type Split,
} from '../../shared/split';

function items(count: number, datasetId = 'ds-1', from = 0): ItemKey[] {
  return Array.from({ length: count }, (_, i) => ({
    datasetId,
    itemName: `image_${String(from + i).padStart(5, '0')}.jpg`,
  }));
}

function countPerSubset(assigned: number[], subsets: number): number[] {
  const counts = new Array<number>(subsets).fill(0);
  for (const s of assigned) counts[s]! += 1;
  return counts;
}

const threeWay: Split = {
  subsets: [
    { name: 'train', percent: 70 },
    { name: 'val', percent: 20 },
    { name: 'test', percent: 10 },
  ],
  seed: 7,
};

const percentLists = fc
  .array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 })
  .filter((ps) => ps.reduce((a, b) => a + b, 0) <= 100)
  .map((ps) => {
    const rest = 100 - ps.reduce((a, b) => a + b, 0);
    return rest === 0 ? ps : ps.length < 20 ? [...ps, rest] : null;
  })
  .filter((ps): ps is number[] => ps !== null);

const splitOf = (percents: number[], seed: number, mode: 'random' | 'stable'): Split => ({
  subsets: percents.map((percent, i) => ({ name: `s${i}`, percent })),
  seed,
  mode,
});

describe('split validation', () => {
  it('accepts a valid subset list', () => {
    expect(validateSplit({ ...threeWay, mode: 'stable' })).toEqual([]);
    expect(validateSplit({ subsets: [{ name: 'all', percent: 100 }] })).toEqual([]);
  });

  it('lists every problem at once, naming the field', () => {
    const problems = validateSplit({
      subsets: [
        { name: 'Train', percent: 70 },
        { name: 'val', percent: 20.5 },
        { name: 'val', percent: 0 },
        { name: 'x'.repeat(33), percent: 5 },
      ],
      seed: 'abc',
      mode: 'shuffled',
      extra: true,
    });
    expect(problems).toEqual([
      'split.extra is not a split field',
      'split.seed must be an integer',
      'split.mode must be one of random, stable',
      'split.subsets[0].name must be 1 to 32 characters of a-z, 0-9, _ and -, not "Train"',
      'split.subsets[1].percent must be a whole number from 1 to 100',
      'split.subsets[2].name "val" is used by an earlier subset',
      'split.subsets[2].percent must be a whole number from 1 to 100',
      `split.subsets[3].name must be 1 to 32 characters of a-z, 0-9, _ and -, not "${'x'.repeat(33)}"`,
    ]);
  });

  it('requires the percents to sum to 100', () => {
    expect(
      validateSplit({
        subsets: [
          { name: 'a', percent: 50 },
          { name: 'b', percent: 40 },
        ],
      }),
    ).toEqual(['split.subsets percents must sum to 100, not 90']);
  });

  it('allows 1 to 20 subsets', () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, percent: 1 }));
    expect(validateSplit({ subsets: many })).toContain(
      'split.subsets must hold 1 to 20 subsets, not 21',
    );
    expect(validateSplit({ subsets: [] })).toEqual([
      'split.subsets must hold 1 to 20 subsets, not 0',
    ]);
    expect(validateSplit(null)).toEqual(['split must be an object with subsets, seed and mode']);
  });
});

describe('subsetSizes (largest remainder)', () => {
  it('gives the exact sizes for 70/20/10', () => {
    expect(subsetSizes(1000, [70, 20, 10])).toEqual([700, 200, 100]);
    expect(subsetSizes(7, [70, 20, 10])).toEqual([5, 1, 1]);
    expect(subsetSizes(3, [34, 33, 33])).toEqual([1, 1, 1]);
    expect(subsetSizes(1, [50, 50])).toEqual([1, 0]);
  });

  it('always sums to the item count and stays within one item of each share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), percentLists, (total, percents) => {
        const sizes = subsetSizes(total, percents);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
        sizes.forEach((size, i) => {
          expect(Math.abs(size - (total * percents[i]!) / 100)).toBeLessThan(1);
        });
      }),
    );
  });
});

describe('random split', () => {
  it('cuts exact sizes', () => {
    const assigned = assignSubsets(threeWay, items(1001));
    expect(countPerSubset(assigned, 3)).toEqual(subsetSizes(1001, [70, 20, 10]));
    expect(countPerSubset(assigned, 3)).toEqual([701, 200, 100]);
  });

  it('gives the same result twice for one seed, whatever the input order', () => {
    const list = [...items(300, 'ds-a'), ...items(200, 'ds-b')];
    const first = assignSubsets(threeWay, list);
    const again = assignSubsets(threeWay, list);
    expect(again).toEqual(first);
    const reversed = assignSubsets(threeWay, [...list].reverse()).reverse();
    expect(reversed).toEqual(first);
  });

  it('depends on the seed', () => {
    const list = items(500);
    const a = assignSubsets({ ...threeWay, seed: 1 }, list);
    const b = assignSubsets({ ...threeWay, seed: 2 }, list);
    expect(a).not.toEqual(b);
  });

  it('partitions the items into exact sizes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        percentLists,
        fc.integer(),
        (count, percents, seed) => {
          const assigned = assignSubsets(splitOf(percents, seed, 'random'), items(count));
          expect(assigned).toHaveLength(count);
          expect(assigned.every((s) => Number.isInteger(s) && s >= 0 && s < percents.length)).toBe(
            true,
          );
          expect(countPerSubset(assigned, percents.length)).toEqual(subsetSizes(count, percents));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('stable split', () => {
  const stable: Split = { ...threeWay, mode: 'stable' };

  it('keeps every old item in its subset when 20% new items are added', () => {
    const old = [...items(800, 'ds-a'), ...items(200, 'ds-b')];
    const added = [...items(150, 'ds-a', 800), ...items(50, 'ds-c')];
    const before = assignSubsets(stable, old);
    const after = assignSubsets(stable, [...added, ...old]);
    expect(after.slice(added.length)).toEqual(before);
  });

  it('places an item from its own hash, the same streamed one by one', () => {
    const list = items(500);
    const place = stableSubsetOf(stable);
    expect(list.map(place)).toEqual(assignSubsets(stable, list));
  });

  it('gives sizes close to the percents', () => {
    const counts = countPerSubset(assignSubsets(stable, items(10_000)), 3);
    expect(counts[0]! / 10_000).toBeCloseTo(0.7, 1);
    expect(counts[1]! / 10_000).toBeCloseTo(0.2, 1);
    expect(counts[2]! / 10_000).toBeCloseTo(0.1, 1);
  });

  it('never moves an item when items are added (property)', () => {
    fc.assert(
      fc.property(
        percentLists,
        fc.integer(),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 60 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 60 }),
        (percents, seed, oldNames, newNames) => {
          const split = splitOf(percents, seed, 'stable');
          const old = oldNames.map((itemName) => ({ datasetId: 'old', itemName }));
          const added = newNames.map((itemName) => ({ datasetId: 'new', itemName }));
          const before = assignSubsets(split, old);
          const after = assignSubsets(split, [...old, ...added]);
          expect(after.slice(0, old.length)).toEqual(before);
          expect(after.every((s) => s >= 0 && s < percents.length)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
