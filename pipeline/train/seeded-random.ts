import seedrandom from 'seedrandom';

/**
 * Run `fn` with Math.random replaced by a generator seeded with `seed`.
 *
 * Why: TensorFlow.js draws dropout masks and unseeded initialisers from
 * Math.random, and a dropout layer with a fixed seed would reuse one mask for
 * every batch. Seeding the source instead makes two training runs identical
 * while each batch still gets a fresh mask. Training runs alone in its process
 * (CLI or action), so nothing else sees the swap, and it is undone afterwards.
 */
export async function withSeededRandom<T>(seed: number | string, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = seedrandom.alea(`random:${seed}`);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
