/**
 * How big a network mlops.yaml may ask for. Training keeps about eight float32
 * copies of the parameters (weights, gradients, two optimizer moments, the best
 * epoch's, the tfjs model's) and per-unit buffers for up to 1024 rows, so these
 * bounds keep a run's parameters under about 160 MB: a typo such as
 * `layers: [100000, 100000]` is a config error, not an attempt to allocate 40 GB.
 */
export const MAX_UNITS = 4096;
export const MAX_PARAMETERS = 5_000_000;
/** Memory one training run may allocate for its buffers (fit.ts estimates it before allocating). */
export const MAX_TRAINING_MB = 1024;
/** Combinations of a search space: a random search draws its trials from all of them. */
export const MAX_SEARCH_GRID = 100_000;

/** Weights and biases of dense layers of these widths, input first: [inputs, ...hidden, outputs]. */
export function parameterCount(dims: readonly number[]): number {
  let count = 0;
  for (let i = 1; i < dims.length; i++) count += (dims[i - 1]! + 1) * dims[i]!;
  return count;
}

/** `n` as people write it: 5,000,000. */
export const formatCount = (n: number) => n.toLocaleString('en-US');
