/**
 * What the pipeline needs of a network the team's code makes (a model module's
 * builder, a trainer's fit): a tfjs LayersModel from the encoded row,
 * `[batch, inputSize]`, to `[batch, outputs]`, which is what predict, serve
 * and bench feed it and read back. Checked as soon as the network exists, so a
 * wrong one stops with what was expected and what was found, naming the file.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModuleFailure } from './repository-module.js';

/** A shape as an error shows it: `[batch, 3]`. */
export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d ?? 'batch').join(', ')}]`;
}

/** Enough of a LayersModel to check it and train it: what a builder or a fit returned. */
export function isLayersModel(value: unknown): value is tfl.LayersModel {
  const model = value as tfl.LayersModel | null | undefined;
  return (
    typeof model?.fit === 'function' &&
    typeof model.predict === 'function' &&
    Array.isArray(model.inputs) &&
    Array.isArray(model.outputs)
  );
}

export interface ExpectedShape {
  task: 'classification' | 'regression';
  outputs: number;
  /**
   * The encoded row's width and the name the team's code is given it by
   * (`inputs.size`, `inputSize`); left out where the inputs are checked apart.
   */
  input?: { size: number; name: string };
}

/** `[batch, n]`: any number of rows, n wide. */
const isBatchOf = (shape: readonly (number | null)[], n: number) =>
  shape.length === 2 && shape[0] === null && shape[1] === n;

function problem(model: tfl.LayersModel, expected: ExpectedShape): string | undefined {
  const { input, outputs, task } = expected;
  if (input) {
    const want = `expected the model's input shape to be [batch, ${input.size}] (${input.name})`;
    if (model.inputs.length !== 1) return `${want}, got ${model.inputs.length} inputs`;
    const shape = model.inputs[0]!.shape;
    if (!isBatchOf(shape, input.size)) return `${want}, got ${shapeText(shape)}`;
  }
  const meaning = task === 'classification' ? `${outputs} classes, softmax` : 'one value';
  const want = `expected the model's output shape to be [batch, ${outputs}] (${meaning})`;
  if (model.outputs.length !== 1) return `${want}, got ${model.outputs.length} outputs`;
  const shape = model.outputs[0]!.shape;
  if (!isBatchOf(shape, outputs)) return `${want}, got ${shapeText(shape)}`;
  return undefined;
}

/** Throws what `fail` makes of the first shape that is wrong, the model disposed. */
export function checkNetworkShape(
  model: tfl.LayersModel,
  expected: ExpectedShape,
  fail: ModuleFailure,
): void {
  const found = problem(model, expected);
  if (found === undefined) return;
  model.dispose();
  throw fail(found);
}
