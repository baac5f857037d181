/** The network mlops.yaml describes, as a tfjs-layers model that loads anywhere tfjs runs. */
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelConfig } from '../config/schema.js';

/**
 * Built with seeded Glorot-uniform kernels and zero biases, the initial weights
 * the training loop starts from; it receives the trained weights at the end.
 */
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
