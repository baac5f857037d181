/**
 * What the server checks of a bundle before it takes traffic, beyond what
 * loadBundle reads: that metadata.json is the metadata of the model files
 * beside it (its model_version is what /readyz and every response report), and
 * that the model computes finite numbers. A bundle that fails either is
 * refused: at start the server is not ready, on a reload the old model serves on.
 */
import { join } from 'node:path';
import { PipelineError } from '../errors.js';
import type { ModelBundle } from '../model/load.js';
import { predictMatrix } from '../model/predict-matrix.js';
import { decodeOutputs, nonFiniteRows } from '../predict/predict.js';
import type { Preprocess } from '../prepare/preprocess.js';
import { clip } from '../util/text.js';

const REFUSED_HINT =
  'Keep the files of a bundle together as `mlops train` wrote them, or fetch the version again with `mlops registry fetch`.';

export function checkBundle(bundle: ModelBundle, dir: string): void {
  checkMetadata(bundle, dir);
  checkNumbers(bundle, dir);
}

const list = (items: readonly unknown[]) => clip(items.map(String).join(', '), 200);

/**
 * The bundle's files tie together through what each restates of the others:
 * the task, the features and the target (metadata.json and preprocess.json),
 * the hidden layers (metadata.json's params and model.json), and the input and
 * output widths (preprocess.json and model.json).
 */
function checkMetadata({ metadata, preprocess: pre, network }: ModelBundle, dir: string): void {
  const file = join(dir, 'metadata.json');
  const foreign = (what: string) =>
    new PipelineError(
      'model',
      `${file}: ${what}; it is not the metadata of the model beside it (model_version ${clip(metadata.model_version)})`,
      { hint: REFUSED_HINT },
    );
  if (metadata.task !== pre.target.task)
    throw foreign(`task is ${metadata.task}, but preprocess.json is for ${pre.target.task}`);
  const features = (fs: readonly { name: string; type: string }[]) =>
    list(fs.map((f) => `${f.name} (${f.type})`));
  if (features(metadata.features) !== features(pre.features))
    throw foreign(
      `features ${features(metadata.features)} differ from preprocess.json's ${features(pre.features)}`,
    );
  if (metadata.target.name !== pre.target.name)
    throw foreign(`target is "${metadata.target.name}", preprocess.json's is "${pre.target.name}"`);
  if (pre.target.task === 'classification') {
    const classes = metadata.target.classes ?? [];
    if (list(classes) !== list(pre.target.classes))
      throw foreign(
        `classes ${list(classes)} differ from preprocess.json's ${list(pre.target.classes)}`,
      );
  }
  const dense = network.layers
    .filter((l) => l.getClassName() === 'Dense')
    .map((l) => (l.getConfig() as { units: number }).units);
  const params = metadata.params;
  const hidden =
    params.kind === 'linear'
      ? []
      : params.kind === 'mlp' && Array.isArray(params.layers)
        ? params.layers
        : undefined;
  if (hidden && list(hidden) !== list(dense.slice(0, -1)))
    throw foreign(
      `params give hidden layers [${list(hidden)}], model.json has [${list(dense.slice(0, -1))}]`,
    );
  const inputs = network.inputs[0]?.shape[1];
  const outputs = network.outputs[0]?.shape[1];
  const expected = pre.target.task === 'classification' ? pre.target.classes.length : 1;
  if (inputs !== pre.inputSize || outputs !== expected)
    throw new PipelineError(
      'model',
      `${join(dir, 'model.json')}: the network takes ${inputs} inputs and gives ${outputs} outputs, but preprocess.json encodes ${pre.inputSize} and expects ${expected}`,
      { hint: REFUSED_HINT },
    );
}

/**
 * Rows built from the training statistics: every numeric feature at its mean
 * and three standard deviations either side, categories first, unseen and last.
 */
function probeRows(pre: Preprocess): Float32Array {
  const rows = 3;
  const x = new Float32Array(rows * pre.inputSize);
  let offset = 0;
  for (const f of pre.features) {
    if (f.type === 'numeric') {
      [0, 3, -3].forEach((z, r) => (x[r * pre.inputSize + offset] = z));
      offset += 1;
    } else {
      const k = f.categories.length;
      [0, k, Math.max(0, k - 1)].forEach((j, r) => (x[r * pre.inputSize + offset + j] = 1));
      offset += k + 1;
    }
  }
  return x;
}

/**
 * Every weight is finite, and so is the prediction for rows near the training
 * data. This also runs the network once, compiling its kernels before traffic.
 */
function checkNumbers({ network, preprocess: pre }: ModelBundle, dir: string): void {
  for (const weight of network.weights) {
    const values = weight.read().dataSync();
    for (const v of values)
      if (!Number.isFinite(v))
        throw new PipelineError(
          'model',
          `${join(dir, 'weights.bin')}: weight ${weight.originalName} holds ${v}; a model with NaN or infinite weights cannot predict`,
          { hint: REFUSED_HINT },
        );
  }
  const rows = probeRows(pre);
  const n = rows.length / pre.inputSize;
  const bad = nonFiniteRows(
    decodeOutputs(pre, predictMatrix(network, rows, n, pre.inputSize), 0, n),
  );
  if (bad.length)
    throw new PipelineError(
      'model',
      `${dir}: the model gives no finite prediction for a row at the training means (and ±3 standard deviations); its weights or preprocess.json are broken`,
      { hint: REFUSED_HINT },
    );
}
