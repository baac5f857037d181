/**
 * Layer classes of the team's own, exported by a model module as `layers`.
 * tfjs builds a saved model's layers from classes registered by name
 * (tf.serialization.registerClass), so the classes must be registered before
 * a model using them is built or loaded. The bundle carries their compiled
 * code as layers.mjs (the module as esbuild bundled it), listed with the other
 * bundle files, so its sha256 is in the digest a registry stores and a deploy
 * checks: the code that serve runs is the code that was reviewed.
 */
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as zod from 'zod';
import { PipelineError } from '../errors.js';
import { LAYERS_FILE } from './files.js';
import type { Metadata } from './metadata.js';

/** The classes a model needs beyond tfjs's own, and the code that defines them. */
export interface CustomLayers {
  /** Their className, as model.json names them. */
  classes: string[];
  /** The module as esbuild bundled it: imported by a loader to register `layers`. */
  code: Uint8Array;
}

/**
 * Where the compiled code finds the pipeline's own tfjs and zod
 * (train/trainers/repository-module.ts resolves their imports to this object).
 */
export const SHARED_MODULES_KEY = Symbol.for('mlops-pipeline.shared-modules');

/** Makes `modules` what the team's compiled code imports by these names. */
export function publishSharedModules(modules: Record<string, object>): void {
  const slot = globalThis as Record<symbol, Record<string, object> | undefined>;
  slot[SHARED_MODULES_KEY] = { ...slot[SHARED_MODULES_KEY], ...modules };
}

/**
 * Checks the module's `layers` export (undefined: none) and registers each
 * class; returns their class names. `fail` names the module.
 */
export function registerLayers(
  exported: unknown,
  fail: (message: string) => PipelineError,
): string[] {
  if (exported === undefined) return [];
  if (!Array.isArray(exported))
    throw fail('expected its export layers to be a list of layer classes');
  return exported.map((cls: unknown, i) => {
    if (typeof cls !== 'function' || !(cls.prototype instanceof tfl.layers.Layer))
      throw fail(`expected layers[${i}] to be a class extending tfl.layers.Layer`);
    // An inherited className would register the class under its parent's name.
    const className = Object.hasOwn(cls, 'className')
      ? (cls as unknown as { className: unknown }).className
      : undefined;
    if (typeof className !== 'string' || !className)
      throw fail(
        `layers[${i}] (class ${cls.name || 'anonymous'}) has no static className: add \`static className = '${cls.name || 'MyLayer'}'\` to it`,
      );
    tfc.serialization.registerClass(
      cls as unknown as tfc.serialization.SerializableConstructor<tfl.layers.Layer>,
    );
    return className;
  });
}

/** The layer classes a model saved in `dir` needs (metadata's lineage.custom_layers), imported and registered. */
export async function loadCustomLayers(
  dir: string,
  metadata: Metadata,
): Promise<CustomLayers | undefined> {
  const classes = metadata.lineage.custom_layers;
  if (!classes?.length) return undefined;
  const path = join(dir, LAYERS_FILE);
  const fail = (message: string, cause?: unknown) =>
    new PipelineError('model', `${path}: ${message}`, {
      hint: 'Copy the model folder whole, as `mlops train` wrote it, or fetch it again with `mlops registry fetch`.',
      cause,
    });
  let code: Buffer;
  try {
    code = await readFile(path);
  } catch (error) {
    throw fail(
      `missing: the model needs the layer classes ${classes.join(', ')} (metadata.json lineage.custom_layers), whose code it holds`,
      error,
    );
  }
  publishSharedModules({ '@tensorflow/tfjs-core': tfc, '@tensorflow/tfjs-layers': tfl, zod });
  let exports: Record<string, unknown>;
  try {
    exports = (await import(
      /* @vite-ignore */ `data:text/javascript;base64,${code.toString('base64')}`
    )) as Record<string, unknown>;
  } catch (error) {
    throw fail(`importing it threw: ${(error as Error).message ?? error}`, error);
  }
  const registered = registerLayers(exports.layers, (message) => fail(message));
  const absent = classes.filter((c) => !registered.includes(c));
  if (absent.length)
    throw fail(
      `its export layers lacks the class${absent.length > 1 ? 'es' : ''} ${absent.join(', ')} that the model needs`,
    );
  return { classes, code: new Uint8Array(code) };
}
