/**
 * The two project sizes a benchmark compares: the two positive numbers on its command line
 * (`npm run bench export -- 2000 20000`), or its own defaults when there are not exactly two.
 */
export function smallAndLarge(defaults: [number, number]): [number, number] {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  return sizes.length === 2 ? [sizes[0]!, sizes[1]!] : defaults;
}
