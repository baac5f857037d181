/**
 * The built-in kinds, linear and mlp: the package's own dense engine
 * (fit.ts on model/backprop.ts) computes the gradients; tfjs-layers only
 * builds the initial network and saves the result.
 */
import { formatCount, MAX_PARAMETERS, MAX_TRAINING_MB } from '../../config/limits.js';
import { PipelineError } from '../../errors.js';
import { matMulKernel } from '../../model/matmul.js';
import { fitNetwork, footprint } from '../fit.js';
import type { EngineChoice, ResolvedTrainer } from './types.js';

/** The kernel that will run: the one asked for, where it loads. */
function denseKernel(choice: EngineChoice): 'wasm-simd' | 'js' {
  return choice.denseKernel === 'js' ? 'js' : matMulKernel();
}

export const denseTrainer: ResolvedTrainer = {
  check(model, inputSize, outputs, rows, keyOf) {
    const size = footprint(model, inputSize, outputs, rows);
    const units = `[${size.dims.join(', ')}] units (inputs first; the input is one value per numeric feature and one per category, plus one, per categorical feature)`;
    if (size.parameters > MAX_PARAMETERS)
      throw new PipelineError(
        'config',
        `${model.kind === 'mlp' ? keyOf('layers') : 'data.features'}: a network of ${units} has ${formatCount(size.parameters)} parameters; expected at most ${formatCount(MAX_PARAMETERS)}`,
        { hint: 'Use fewer or narrower hidden layers, or fewer categories.' },
      );
    const mb = size.bytes / 2 ** 20;
    if (mb > MAX_TRAINING_MB)
      throw new PipelineError(
        'config',
        `${size.batch === size.capacity ? keyOf('batch_size') : keyOf('layers')}: training ${formatCount(size.capacity)} rows at a time through ${units} needs about ${formatCount(Math.ceil(mb))} MB; expected at most ${formatCount(MAX_TRAINING_MB)} MB`,
        { hint: 'Use a smaller batch_size or narrower layers.' },
      );
  },
  async fit(input) {
    const kernel = denseKernel(input.engine ?? {});
    const result = await fitNetwork({ ...input, useWasm: kernel === 'wasm-simd' });
    return { ...result, lineage: { trainer: 'dense', kernel } };
  },
  engine: (choice) => Promise.resolve(`dense (${denseKernel(choice)})`),
};
