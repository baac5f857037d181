/**
 * A team's model module (kind tfjs): a .ts or .js file beside mlops.yaml whose
 * default export (or `build`) builds a tfjs LayersModel. repository-module.ts
 * bundles and imports it.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { z } from 'zod';
import { formatCount, MAX_PARAMETERS } from '../../config/limits.js';
import { PipelineError } from '../../errors.js';
import { registerLayers, type CustomLayers } from '../../model/custom-layers.js';
import type { FeatureInput } from '../../prepare/feature-inputs.js';
import { checkNetworkShape, isLayersModel, shapeText } from './network-shape.js';
import { importRepositoryModule, thrownAt, type ModuleFailure } from './repository-module.js';

/**
 * What the builder is given about the inputs. By default the model takes one
 * standardised/one-hot vector per row, `[batch, size]`; a module exporting
 * `inputs = 'features'` takes one `[batch, 1]` input per feature, in the order
 * of `features` (feature-inputs.ts).
 */
export interface ModelInputs {
  size: number;
  features: FeatureInput[];
}

const INPUT_KINDS = ['vector', 'features'] as const;

export type ModelBuilder = (
  inputs: ModelInputs,
  task: 'classification' | 'regression',
  outputs: number,
  params: Record<string, unknown>,
  options: { seed: number },
) => tfl.LayersModel;

export interface ModelModule {
  build: ModelBuilder;
  /** A tfjs loss name; else categoricalCrossentropy or meanSquaredError. */
  loss?: string;
  /** Metric names compiled into the model; evaluation uses the pipeline's own. */
  metrics?: string[];
  /** What the model takes: the encoded row (`vector`, the default) or one input per feature. */
  inputs: (typeof INPUT_KINDS)[number];
  /** A zod schema of model.params: unknown keys and wrong values are refused before training. */
  params?: z.ZodType;
  /** Repository files (relative to mlops.yaml's folder) the module is made of. */
  files: string[];
  /** Its export layers: layer classes of its own, registered with tfjs, and the code the bundle carries. */
  layers?: CustomLayers;
}

function moduleError(module: string, message: string, cause?: unknown): PipelineError {
  return new PipelineError('config', `model.module ${module}: ${message}`, {
    hint: 'docs/custom-models.md shows what a model module exports.',
    cause,
  });
}

export async function loadModelModule(dir: string, module: string): Promise<ModelModule> {
  const { exports, files, code } = await importRepositoryModule(dir, module, (message, cause) =>
    moduleError(module, message, cause),
  );
  const build = exports.default ?? exports.build;
  if (typeof build !== 'function')
    throw moduleError(
      module,
      `expected a default export (or an export named build) that builds the model, found ${Object.keys(exports).join(', ') || 'no exports'}`,
    );
  if (exports.loss !== undefined && typeof exports.loss !== 'string')
    throw moduleError(module, 'expected its export loss to be the name of a tfjs loss');
  if (
    exports.metrics !== undefined &&
    !(Array.isArray(exports.metrics) && exports.metrics.every((m) => typeof m === 'string'))
  )
    throw moduleError(module, 'expected its export metrics to be a list of tfjs metric names');
  const inputs = exports.inputs ?? 'vector';
  if (!INPUT_KINDS.includes(inputs as ModelModule['inputs']))
    throw moduleError(
      module,
      `expected its export inputs to be ${INPUT_KINDS.map((k) => `'${k}'`).join(' or ')}, found ${JSON.stringify(inputs)}`,
    );
  const params = exports.params;
  if (
    params !== undefined &&
    typeof (params as { safeParse?: unknown } | null)?.safeParse !== 'function'
  )
    throw moduleError(module, 'expected its export params to be a zod schema of model.params');
  // Registered before the builder runs, as before a saved model loads.
  const classes = registerLayers(exports.layers, (message) => moduleError(module, message));
  return {
    ...(classes.length ? { layers: { classes, code } } : {}),
    params: params as z.ZodType | undefined,
    build: build as ModelBuilder,
    loss: exports.loss as string | undefined,
    metrics: exports.metrics as string[] | undefined,
    inputs: inputs as ModelModule['inputs'],
    files,
  };
}

/** model.params as the module's schema reads them (defaults filled in), or as written when it has none. */
export function moduleParams(
  mod: ModelModule,
  module: string,
  params: Record<string, unknown>,
): Record<string, unknown> {
  if (!mod.params) return params;
  const result = mod.params.safeParse(params);
  if (result.success) return result.data as Record<string, unknown>;
  const issues = result.error.issues.map((issue) => {
    const keys =
      issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [undefined];
    return keys
      .map((key) => {
        const path = ['model', 'params', ...issue.path, ...(key ? [key] : [])].join('.');
        return `${path}: ${key ? 'unknown key' : issue.message}`;
      })
      .join('; ');
  });
  throw new PipelineError(
    'config',
    `model.module ${module}: its params schema refuses ${issues.join('; ')}`,
    { hint: `The keys ${module} takes are in its export params.` },
  );
}

/** Calls the builder and checks what it returns against the data it will train on. */
export function buildModel(
  mod: ModelModule,
  module: string,
  dir: string,
  args: Parameters<ModelBuilder>,
): tfl.LayersModel {
  const [inputs, task, outputs] = args;
  const fail = (message: string, cause?: unknown) => moduleError(module, message, cause);
  let model: tfl.LayersModel;
  try {
    model = mod.build(...args);
  } catch (error) {
    const at = thrownAt(error, dir);
    throw fail(
      `its builder threw${at ? ` at ${at}` : ''}: ${(error as Error).message ?? error}`,
      error,
    );
  }
  if (!isLayersModel(model)) throw fail('expected its builder to return a tfjs LayersModel');
  const vector = mod.inputs === 'vector';
  if (!vector) checkFeatureInputs(model, inputs, fail);
  checkNetworkShape(
    model,
    { task, outputs, ...(vector ? { input: { size: inputs.size, name: 'inputs.size' } } : {}) },
    fail,
  );
  const parameters = model.countParams();
  if (parameters > MAX_PARAMETERS) {
    model.dispose();
    throw fail(
      `its model has ${formatCount(parameters)} parameters; expected at most ${formatCount(MAX_PARAMETERS)}`,
    );
  }
  return model;
}

/** With inputs = 'features': one [batch, 1] input per feature, in the order of inputs.features. */
function checkFeatureInputs(
  model: tfl.LayersModel,
  inputs: ModelInputs,
  fail: ModuleFailure,
): void {
  const names = inputs.features.map((f) => f.name);
  const wrong = (message: string) => {
    model.dispose();
    return fail(message);
  };
  if (model.inputs.length !== names.length)
    throw wrong(
      `expected a model with one input per feature (inputs = 'features'), ${names.length} in the order of inputs.features (${names.join(', ')}), got ${model.inputs.length}`,
    );
  model.inputs.forEach((input, i) => {
    const s = input.shape;
    if (s.length !== 2 || s[0] !== null || s[1] !== 1)
      throw wrong(
        `expected input ${i + 1} (feature ${names[i]}) to have the shape [batch, 1], got ${shapeText(s)}`,
      );
  });
}
