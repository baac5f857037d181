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
import { isAbsolute, join } from 'node:path';
import { PipelineError } from '../errors.js';
import { PreprocessSchema, type Preprocess } from '../prepare/preprocess.js';
import { replaceDirAtomic } from '../util/files.js';
import { MetadataSchema, type Metadata } from './metadata.js';

export interface ModelBundle {
  network: tfl.LayersModel;
  preprocess: Preprocess;
  metadata: Metadata;
}

export const BUNDLE_FILES = [
  'model.json',
  'weights.bin',
  'preprocess.json',
  'metadata.json',
] as const;

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

async function readJson(dir: string, name: string): Promise<unknown> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new PipelineError('model', `${path}: missing`, {
      hint: 'Train a model first with `mlops train` (or `mlops run`).',
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new PipelineError('model', `${path}: not valid JSON`);
  }
}

export async function readMetadata(dir: string): Promise<Metadata> {
  const parsed = MetadataSchema.safeParse(await readJson(dir, 'metadata.json'));
  if (!parsed.success)
    throw new PipelineError(
      'model',
      `${join(dir, 'metadata.json')}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`,
    );
  return parsed.data;
}

export async function loadBundle(dir: string): Promise<ModelBundle> {
  const metadata = await readMetadata(dir);
  const pre = PreprocessSchema.safeParse(await readJson(dir, 'preprocess.json'));
  if (!pre.success)
    throw new PipelineError(
      'model',
      `${join(dir, 'preprocess.json')}: ${pre.error.issues[0]!.message}`,
    );
  const modelJson = (await readJson(dir, 'model.json')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  if (!Array.isArray(modelJson.weightsManifest))
    throw new PipelineError('model', `${join(dir, 'model.json')}: has no weightsManifest`);
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(
    modelJson.weightsManifest
      .flatMap((g) => g.paths)
      .map((p) => {
        // Weights sit beside model.json: a path out of the folder (a crafted bundle
        // from a registry) must not make us read any other file.
        if (typeof p !== 'string' || isAbsolute(p) || p.split(/[\\/]/).includes('..'))
          throw new PipelineError(
            'model',
            `${join(dir, 'model.json')}: weights path ${JSON.stringify(p)} leaves the model folder`,
          );
        return readFile(join(dir, p)).catch((error: NodeJS.ErrnoException) => {
          throw new PipelineError(
            'model',
            `${join(dir, p)}: cannot read the weights named by model.json (${error.code})`,
            { cause: error },
          );
        });
      }),
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
  return { network, preprocess: pre.data, metadata };
}
