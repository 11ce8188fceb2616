/**
 * A seeded PRNG for property tests, so every run checks the same cases.
 *
 * @module
 */

/** mulberry32: a small seeded PRNG, so property tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A source of uniform numbers in [0, 1). */
export type Rand = () => number;

/** A whole number in [0, n). */
export function int(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

/** One item of a non-empty list. */
export function pick<T>(rand: Rand, items: readonly T[]): T {
  const item = items[int(rand, items.length)];
  if (item === undefined) throw new Error("pick() from an empty list");
  return item;
}
