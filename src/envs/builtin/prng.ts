/**
 * Seeded PRNG for the built-in environment's variations. Stands alone because the world must be
 * reproducible from `(task, variation)` alone: no `Math.random`, no clock.
 */

/** A deterministic random source: `next()` returns a float in [0, 1). */
export interface Rng {
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/**
 * mulberry32: tiny, fast and good enough for picking layouts; the seed is scrambled first so that
 * neighbouring variations (0, 1, 2, ...) give unrelated layouts.
 */
export function createRng(seed: number): Rng {
  let a = (Math.imul(seed ^ 0x5eed1234, 0x9e3779b1) + 0x6d2b79f5) >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('createRng.pick: empty list');
      return items[int(items.length)] as T;
    },
  };
}
