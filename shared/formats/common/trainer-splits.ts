/*
 * Which subsets the trainer layouts (Darknet's obj.data, Ultralytics' data.yaml, VOC's image sets)
 * name as train, validation and test (README, trainer layouts).
 */

/** Which subsets a trainer's `train`, `val` and `test` entries name. */
export interface TrainerSplits {
  train: string;
  val: string;
  test: string | null;
}

/** The subset every item is in without a split. */
const UNSPLIT_SUBSET = 'train';
const VAL_NAMES = ['val', 'valid', 'validation'];

/** A subset's name in trainer files and folders: its own, or `train` without a split. */
export function subsetName(subset: string | null | undefined): string {
  return subset ?? UNSPLIT_SUBSET;
}

/**
 * Without a split every item is in one subset, `train`, and validation points at it too. With a
 * split: `train` is the subset named so (else the first), `val` the one named val, valid or
 * validation (else the first other subset that is not `test`, else `test`, else train itself),
 * `test` the one named test when it is not val already. Only subsets that hold items count: a trainer fails on an empty folder.
 */
export function trainerSplits(subsets: string[] | null | undefined): TrainerSplits {
  if (!subsets || subsets.length === 0) {
    return { train: UNSPLIT_SUBSET, val: UNSPLIT_SUBSET, test: null };
  }
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
