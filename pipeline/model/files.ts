/**
 * The files of a model bundle, read without TensorFlow.js: what a deploy
 * checks and ships needs their JSON and their sizes, not a loaded network, so
 * the shells that only move bundles (deploy-vm) do not carry tfjs. load.ts
 * loads the network from the same files.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PipelineError } from '../errors.js';
import { PreprocessSchema, type Preprocess } from '../prepare/preprocess.js';
import { MetadataSchema, type Metadata } from './metadata.js';

/** The code of the layer classes of the team's own that a model uses (custom-layers.ts). */
export const LAYERS_FILE = 'layers.mjs';

/** Every file a bundle may hold, metadata.json last (a copy that has it is whole). */
export const BUNDLE_FILES = [
  'model.json',
  'weights.bin',
  'preprocess.json',
  'profile.json',
  LAYERS_FILE,
  'metadata.json',
] as const;

/**
 * Files a bundle may lack: profile.json (the training profile the server
 * monitors against) came after the first bundles, which stay valid without it;
 * layers.mjs is there only for a model with layer classes of the team's own
 * (custom-layers.ts), and loading such a model refuses a bundle without it.
 */
export const OPTIONAL_BUNDLE_FILES: readonly string[] = ['profile.json', LAYERS_FILE];

const BROKEN_HINT =
  'Copy the model folder whole, as `mlops train` wrote it, or fetch it again with `mlops registry fetch`.';

export async function readJson(dir: string, name: string): Promise<unknown> {
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

export async function readPreprocess(dir: string): Promise<Preprocess> {
  const parsed = PreprocessSchema.safeParse(await readJson(dir, 'preprocess.json'));
  if (!parsed.success)
    throw new PipelineError(
      'model',
      `${join(dir, 'preprocess.json')}: ${parsed.error.issues[0]!.message}`,
    );
  return parsed.data;
}

/** What model.json says of the weights: the tfjs layers format's manifest. */
export interface WeightsEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

export interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: WeightsEntry[] }[];
}

export async function readModelJson(dir: string): Promise<ModelJson> {
  const modelJson = (await readJson(dir, 'model.json')) as ModelJson;
  if (!Array.isArray(modelJson?.weightsManifest))
    throw new PipelineError('model', `${join(dir, 'model.json')}: has no weightsManifest`);
  return modelJson;
}

/**
 * The weights files model.json names, as paths in the folder. They sit beside
 * model.json: a path out of the folder (a crafted bundle from a registry) must
 * not make us read any other file.
 */
export function weightsPaths(dir: string, modelJson: ModelJson): string[] {
  return modelJson.weightsManifest
    .flatMap((g) => g.paths)
    .map((p) => {
      if (typeof p !== 'string' || isAbsolute(p) || p.split(/[\\/]/).includes('..'))
        throw new PipelineError(
          'model',
          `${join(dir, 'model.json')}: weights path ${JSON.stringify(p)} leaves the model folder`,
        );
      return join(dir, p);
    });
}

/** Bytes per stored value (tfjs's DTYPE_VALUE_SIZE_MAP, and its quantized types). */
const VALUE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The byte length the manifest's weights take; undefined when a type has no fixed size. */
function manifestBytes(modelJson: ModelJson): number | undefined {
  let total = 0;
  for (const weight of modelJson.weightsManifest.flatMap((g) => g.weights ?? [])) {
    const size = VALUE_BYTES[weight.quantization?.dtype ?? weight.dtype];
    if (size === undefined || !Array.isArray(weight.shape)) return undefined;
    total += weight.shape.reduce((n, d) => n * d, 1) * size;
  }
  return total;
}

/**
 * A bundle that can be shipped: every file there, metadata.json and
 * preprocess.json valid, and the weights files exactly as long as model.json's
 * manifest says (a copy cut short fails here). It does not load the network.
 */
export async function checkBundleFiles(dir: string): Promise<Metadata> {
  const metadata = await readMetadata(dir);
  await readPreprocess(dir);
  const modelJson = await readModelJson(dir);
  const paths = weightsPaths(dir, modelJson);
  let actual = 0;
  for (const path of paths) {
    try {
      actual += (await stat(path)).size;
    } catch (error) {
      throw new PipelineError(
        'model',
        `${path}: cannot read the weights named by model.json (${(error as NodeJS.ErrnoException).code})`,
        { hint: BROKEN_HINT, cause: error },
      );
    }
  }
  const expected = manifestBytes(modelJson);
  if (expected !== undefined && expected !== actual)
    throw new PipelineError(
      'model',
      `${paths.length === 1 ? `${paths[0]} holds` : `${dir}: the weights files hold`} ${actual} bytes, but model.json's weightsManifest describes ${expected}`,
      { hint: BROKEN_HINT },
    );
  return metadata;
}
