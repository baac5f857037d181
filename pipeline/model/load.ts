/**
 * A saved model folder loaded to run: the network from model.json and
 * weights.bin (the standard TensorFlow.js layers format), with the
 * preprocessing and metadata saved beside it. package/bundle.ts writes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '../errors.js';
import type { Preprocess } from '../prepare/preprocess.js';
import { loadCustomLayers, type CustomLayers } from './custom-layers.js';
import { readMetadata, readModelJson, readPreprocess, weightsPaths } from './files.js';
import type { Metadata } from './metadata.js';

export interface ModelBundle {
  network: tfl.LayersModel;
  preprocess: Preprocess;
  metadata: Metadata;
  /** Layer classes of the team's own the network uses, and their code (saved as layers.mjs). */
  layers?: CustomLayers;
}

export async function loadBundle(dir: string): Promise<ModelBundle> {
  const metadata = await readMetadata(dir);
  const preprocess = await readPreprocess(dir);
  const modelJson = await readModelJson(dir);
  // Registered before tfjs builds the layers that model.json names by class.
  const layers = await loadCustomLayers(dir, metadata);
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
      /Unknown layer/.test((error as Error).message)
        ? {
            hint: `A layer class of the team's own is registered from the bundle's layers.mjs, for the classes metadata.json lists in lineage.custom_layers (${metadata.lineage.custom_layers?.join(', ') || 'none'}).`,
          }
        : {},
    );
  }
  return { network, preprocess, metadata, ...(layers ? { layers } : {}) };
}
