/**
 * Writing the model bundle in artifacts/model/: model.json and weights.bin in
 * the standard TensorFlow.js layers format, preprocess.json, profile.json (the
 * training profile the server monitors live traffic against), layers.mjs (the
 * code of the team's own layer classes, when the model has some) and
 * metadata.json.
 * Written into a fresh folder and swapped in whole, once: no later stage
 * rewrites a file of it, so the bytes a registry stores, a cache restores and a
 * deploy ships are the bytes training wrote. Reading it back is model/.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAYERS_FILE } from '../model/files.js';
import type { ModelBundle } from '../model/load.js';
import { PROFILE_FILE, type Profile } from '../monitor/profile.js';
import { replaceDirAtomic } from '../util/files.js';

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

export async function saveBundle(
  dir: string,
  bundle: ModelBundle,
  profile?: Profile,
): Promise<void> {
  const files = await networkFiles(bundle.network);
  await replaceDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'model.json'), files.json);
    await writeFile(join(tmp, 'weights.bin'), files.weights);
    await writeFile(
      join(tmp, 'preprocess.json'),
      `${JSON.stringify(bundle.preprocess, null, 2)}\n`,
    );
    if (profile) await writeFile(join(tmp, PROFILE_FILE), `${JSON.stringify(profile)}\n`);
    if (bundle.layers) await writeFile(join(tmp, LAYERS_FILE), bundle.layers.code);
    await writeFile(join(tmp, 'metadata.json'), `${JSON.stringify(bundle.metadata, null, 2)}\n`);
  });
}
