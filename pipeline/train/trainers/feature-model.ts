/**
 * A model that takes one input per feature (a module exporting
 * `inputs = 'features'`), saved as a model that takes the encoded row.
 *
 * In front of the team's model sit one frozen dense layer per feature, whose
 * weights (feature-inputs.ts) read the feature's value, or its category's
 * index, out of the row. The saved model.json then takes the same row as every
 * other model: evaluation, `mlops predict`, the server, its model check and
 * monitoring encode rows once, as they always do, and the reading of indices
 * is part of the saved model, so no runner can apply it differently. Only
 * built-in layers are used: the model loads wherever tfjs runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { featureReaders } from '../../prepare/feature-inputs.js';
import type { Preprocess } from '../../prepare/preprocess.js';

export function readingFeatures(model: tfl.LayersModel, pre: Preprocess): tfl.LayersModel {
  const row = tfl.input({ shape: [pre.inputSize], name: 'mlops_encoded_row' });
  const features = featureReaders(pre).map((weights, i) => {
    const kernel = tf.tensor2d(weights, [pre.inputSize, 1]);
    try {
      const reader = tfl.layers.dense({
        units: 1,
        useBias: false,
        trainable: false,
        weights: [kernel],
        name: `mlops_feature_${i}`,
      });
      return reader.apply(row) as tfl.SymbolicTensor;
    } finally {
      kernel.dispose();
    }
  });
  const output = model.apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: row, outputs: output });
}
