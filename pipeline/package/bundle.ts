/**
 * The model bundle in artifacts/model/: model.json and weights.bin in the
 * standard TensorFlow.js layers format, preprocess.json and metadata.json.
 * Written into a fresh folder and swapped in whole, once: no later stage
 * rewrites a file of it, so the bytes a registry stores, a cache restores and a
 * deploy ships are the bytes training wrote.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '../errors.js';
import type { Preprocess } from '../prepare/preprocess.js';
import { replaceDirAtomic } from '../util/files.js';
import { readMetadata, readModelJson, readPreprocess, weightsPaths } from './bundle-files.js';
import type { Metadata } from './metadata.js';

export { BUNDLE_FILES, readMetadata } from './bundle-files.js';

export interface ModelBundle {
  network: tfl.LayersModel;
  preprocess: Preprocess;
  metadata: Metadata;
}

async function networkFiles(
  network: tfl.LayersModel,
): Promise<{ json: string; weights: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const artifacts = captured!;
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const json = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  return { json: JSON.stringify(json), weights };
}

export async function saveBundle(dir: string, bundle: ModelBundle): Promise<void> {
  const files = await networkFiles(bundle.network);
  await replaceDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'model.json'), files.json);
    await writeFile(join(tmp, 'weights.bin'), files.weights);
    await writeFile(
      join(tmp, 'preprocess.json'),
      `${JSON.stringify(bundle.preprocess, null, 2)}\n`,
    );
    await writeFile(join(tmp, 'metadata.json'), `${JSON.stringify(bundle.metadata, null, 2)}\n`);
  });
}

export async function loadBundle(dir: string): Promise<ModelBundle> {
  const metadata = await readMetadata(dir);
  const preprocess = await readPreprocess(dir);
  const modelJson = await readModelJson(dir);
  const weightSpecs = modelJson.weightsManifest.flatMap(
    (g) => g.weights as tf.io.WeightsManifestEntry[],
  );
  const buffers = await Promise.all(
    weightsPaths(dir, modelJson).map((path) =>
      readFile(path).catch((error: NodeJS.ErrnoException) => {
        throw new PipelineError(
          'model',
          `${path}: cannot read the weights named by model.json (${error.code})`,
          { cause: error },
        );
      }),
    ),
  );
  const weightData = tf.io.CompositeArrayBuffer.join(
    buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
  );
  let network: tfl.LayersModel;
  try {
    network = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }),
    );
  } catch (error) {
    throw new PipelineError(
      'model',
      `${join(dir, 'model.json')}: cannot load (${(error as Error).message})`,
    );
  }
  return { network, preprocess, metadata };
}
