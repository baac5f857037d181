/**
 * The prepared features one by one, for a model that takes one input per
 * feature (a model module exporting `inputs = 'features'`): a numeric feature as
 * its standardised value, a categorical one as the index of its category.
 *
 * They are a view of the one encoded row (preprocess.ts), not a second
 * encoding: a numeric value is read from its slot, and a category's index is
 * the position of the 1 in its one-hot block, which always holds exactly one
 * (the last slot for a category unseen in training, or a missing value). So
 * whatever encodes the row (training, evaluation, `mlops predict`, the server)
 * gives the same indices.
 */
import { featureWidth, type Preprocess } from './preprocess.js';

export type FeatureInput =
  | { name: string; type: 'numeric' }
  /**
   * Indices 0 … vocabulary - 1: the training split's categories in sorted
   * order, then one slot (vocabulary - 1) for a value unseen in training or missing.
   */
  | { name: string; type: 'categorical'; vocabulary: number };

export function featureInputs(pre: Preprocess): FeatureInput[] {
  return pre.features.map((f) =>
    f.type === 'numeric'
      ? { name: f.name, type: 'numeric' }
      : { name: f.name, type: 'categorical', vocabulary: f.categories.length + 1 },
  );
}

/**
 * For each feature, the weights that read it from an encoded row (a column of
 * inputSize): its own slot for a numeric feature, and 0, 1, 2 … over its
 * one-hot block for a categorical one. Products of 0s, 1s and small integers
 * and their sums are exact in 32-bit floats, so a row times these weights gives
 * the value, or the index, exactly.
 */
export function featureReaders(pre: Preprocess): Float32Array[] {
  let offset = 0;
  return pre.features.map((f) => {
    const weights = new Float32Array(pre.inputSize);
    if (f.type === 'numeric') weights[offset] = 1;
    else for (let j = 0; j <= f.categories.length; j++) weights[offset + j] = j;
    offset += featureWidth(f);
    return weights;
  });
}
