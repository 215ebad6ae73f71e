/**
 * Splits (DESIGN §9): which subset each exported item goes to. The unit is a dataset item, so all
 * frames of a video stay together; items of every chosen dataset are split together.
 */
import { createHash } from 'node:crypto';

export const SPLIT_MODES = ['random', 'stable'] as const;
export type SplitMode = (typeof SPLIT_MODES)[number];

import { MAX_SUBSETS, SUBSET_NAME } from '../exports/limits';

export { MAX_SUBSETS, SUBSET_NAME } from '../exports/limits';

export interface SplitSubset {
  name: string;
  percent: number;
}

export interface Split {
  subsets: SplitSubset[];
  seed?: number;
  mode?: SplitMode;
}

/** What identifies an item for the split: its dataset and its (stored) name, unique in the dataset. */
export interface ItemKey {
  datasetId: string;
  itemName: string;
}

/**
 * Every problem of a request's `split`, as messages naming the field; empty when it is valid.
 * `path` prefixes the field names so that the messages read like the request's other problems.
 */
export function validateSplit(split: unknown, path = 'split'): string[] {
  if (typeof split !== 'object' || split === null || Array.isArray(split)) {
    return [`${path} must be an object with subsets, seed and mode`];
  }
  const problems: string[] = [];
  const { subsets, seed, mode, ...unknown } = split as Record<string, unknown>;
  for (const key of Object.keys(unknown)) problems.push(`${path}.${key} is not a split field`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    problems.push(`${path}.seed must be an integer`);
  }
  if (mode !== undefined && !SPLIT_MODES.includes(mode as SplitMode)) {
    problems.push(`${path}.mode must be one of ${SPLIT_MODES.join(', ')}`);
  }
  if (!Array.isArray(subsets)) {
    problems.push(`${path}.subsets must be a list of 1 to ${MAX_SUBSETS} subsets`);
    return problems;
  }
  if (subsets.length < 1 || subsets.length > MAX_SUBSETS) {
    problems.push(`${path}.subsets must hold 1 to ${MAX_SUBSETS} subsets, not ${subsets.length}`);
  }
  const seen = new Set<string>();
  let total = 0;
  let percentsAreWhole = true;
  subsets.forEach((subset: unknown, i) => {
    const at = `${path}.subsets[${i}]`;
    if (typeof subset !== 'object' || subset === null || Array.isArray(subset)) {
      problems.push(`${at} must be an object with name and percent`);
      percentsAreWhole = false;
      return;
    }
    const { name, percent } = subset as Record<string, unknown>;
    if (typeof name !== 'string' || !SUBSET_NAME.test(name)) {
      problems.push(
        `${at}.name must be 1 to 32 characters of a-z, 0-9, _ and -, not ${JSON.stringify(name)}`,
      );
    } else if (seen.has(name)) {
      problems.push(`${at}.name "${name}" is used by an earlier subset`);
    } else {
      seen.add(name);
    }
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100) {
      problems.push(`${at}.percent must be a whole number from 1 to 100`);
      percentsAreWhole = false;
    } else {
      total += percent;
    }
  });
  if (percentsAreWhole && subsets.length > 0 && total !== 100) {
    problems.push(`${path}.subsets percents must sum to 100, not ${total}`);
  }
  return problems;
}

/** The 32-byte sha256 of `seed|datasetId|itemName` that places an item (DESIGN §9). */
export function itemHash(seed: number, key: ItemKey): Buffer {
  return createHash('sha256').update(`${seed}|${key.datasetId}|${key.itemName}`).digest();
}

/**
 * Subset sizes for `total` items: each subset's exact share rounded down, the items left over
 * going one each to the largest remainders (the earlier subset wins a tie). Sums to `total`.
 */
export function subsetSizes(total: number, percents: readonly number[]): number[] {
  const sizes = percents.map((p) => Math.floor((total * p) / 100));
  const byRemainder = percents
    .map((p, i) => ({ i, remainder: (total * p) % 100 }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  let left = total - sizes.reduce((a, b) => a + b, 0);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    sizes[i]! += 1;
    left--;
  }
  return sizes;
}

/**
 * The index (into `split.subsets`) of each item's subset, in the order of `items`.
 * `random`: items ordered by hash and cut at exact sizes; `stable`: each item on its own.
 */
export function assignSubsets(split: Split, items: readonly ItemKey[]): number[] {
  const seed = split.seed ?? 0;
  if ((split.mode ?? 'random') === 'stable') {
    const place = stableSubsetOf(split);
    return items.map((key) => place(key));
  }
  const hashes = items.map((key) => itemHash(seed, key));
  const order = items.map((_, i) => i);
  // Equal hashes only come from duplicate keys: fall back to input order so the cut stays exact.
  order.sort((a, b) => Buffer.compare(hashes[a]!, hashes[b]!) || a - b);
  const sizes = subsetSizes(
    items.length,
    split.subsets.map((s) => s.percent),
  );
  const assigned = new Array<number>(items.length);
  let next = 0;
  sizes.forEach((size, subset) => {
    for (let n = 0; n < size; n++) assigned[order[next++]!] = subset;
  });
  return assigned;
}

/**
 * For `stable` mode: a function from an item to its subset index, computed from the item's hash
 * alone (its first 48 bits as a point in [0, 100)), so it can run over a stream of items and an
 * item keeps its subset however many items are added beside it.
 */
export function stableSubsetOf(split: Split): (key: ItemKey) => number {
  const seed = split.seed ?? 0;
  const bounds: number[] = [];
  let cumulative = 0;
  for (const subset of split.subsets) bounds.push((cumulative += subset.percent));
  return (key) => {
    const point = (itemHash(seed, key).readUIntBE(0, 6) / 2 ** 48) * 100;
    const subset = bounds.findIndex((bound) => point < bound);
    return subset === -1 ? bounds.length - 1 : subset;
  };
}
