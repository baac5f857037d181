/** The network mlops.yaml describes, as a tfjs-layers model that loads anywhere tfjs runs. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelConfig } from '../config/schema.js';

export function buildNetwork(
  model: ModelConfig,
  inputSize: number,
  outputs: number,
  seed: number,
): tfl.Sequential {
  const net = tfl.sequential();
  const hidden = model.kind === 'mlp' ? model.layers : [];
  // tfjs treats seed 0 as "no seed", so offsets start at 1.
  let layerSeed = seed * 1000 + 1;
  hidden.forEach((units, i) => {
    net.add(
      tfl.layers.dense({
        units,
        activation: model.activation,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: layerSeed++ }),
        ...(i === 0 ? { inputShape: [inputSize] } : {}),
      }),
    );
    if (model.dropout > 0) net.add(tfl.layers.dropout({ rate: model.dropout }));
  });
  net.add(
    tfl.layers.dense({
      units: outputs,
      activation: model.task === 'classification' ? 'softmax' : 'linear',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: layerSeed++ }),
      ...(hidden.length === 0 ? { inputShape: [inputSize] } : {}),
    }),
  );
  return net;
}

export function makeOptimizer(model: ModelConfig): tf.Optimizer {
  switch (model.optimizer) {
    case 'adam':
      return tf.train.adam(model.learning_rate);
    case 'sgd':
      return tf.train.sgd(model.learning_rate);
    case 'rmsprop':
      return tf.train.rmsprop(model.learning_rate);
    case 'adagrad':
      return tf.train.adagrad(model.learning_rate);
  }
}

const EPSILON = 1e-7;

/** Mean loss of a batch: cross-entropy on probabilities (as Keras), or squared error. */
export function lossOf(task: ModelConfig['task'], yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy((): tf.Scalar => {
    if (task === 'classification') {
      const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
      return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.log(p)), -1))) as tf.Scalar;
    }
    return tf.mean(tf.squaredDifference(yTrue, yPred)) as tf.Scalar;
  });
}
