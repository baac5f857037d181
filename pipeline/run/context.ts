/**
 * What every stage starts from: the validated config, the dataset its pointer
 * names, the split, and the version a model trained on them would have.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSection, loadConfig, type LoadedConfig } from '../config/load.js';
import { readDataset, type Dataset, type ReadDatasetOptions } from '../data/dataset.js';
import { splitRows, type Split } from '../data/split.js';
import { column } from '../data/table.js';
import { modelCodeHash, modelVersion } from '../package/lineage.js';
import { outputPaths, type OutputPaths } from '../config/paths.js';
import { trainerFor } from '../train/trainers/registry.js';
import type { EngineChoice } from '../train/trainers/types.js';

export interface RunContext {
  loaded: LoadedConfig;
  dataset: Dataset;
  split: Split;
  paths: OutputPaths;
  codeHash: string;
  /** Content hash of data, config, training code and engine. */
  version: string;
  /** What will compute the gradients: `dense (wasm-simd)`, `tfjs (wasm)` … */
  engine: string;
  /** The engine the shell asked for, which training must use. */
  engineChoice: EngineChoice;
  timings: Record<string, number>;
}

export async function timed<T>(
  timings: Record<string, number>,
  name: string,
  fn: () => Promise<T> | T,
): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = (timings[name] ?? 0) + (performance.now() - start) / 1000;
  }
}

export async function openRun(
  configPath: string,
  overrides: readonly string[] = [],
  data: ReadDatasetOptions = {},
  engineChoice: EngineChoice = {},
): Promise<RunContext> {
  const timings: Record<string, number> = {};
  const loaded = await timed(timings, 'config', () => loadConfig(configPath, overrides));
  const dataset = await timed(timings, 'load', () => readDataset(loaded, data));
  const { config } = loaded;
  const split = await timed(timings, 'split', () =>
    splitRows(dataset.table.rowCount, config.split, {
      ids: config.data.id ? idStrings(dataset, config.data.id) : undefined,
      strata:
        config.model.task === 'classification'
          ? (column(dataset.table, config.data.target).values as (string | null)[])
          : undefined,
    }),
  );
  const engine = await modelEngine(loaded, engineChoice);
  const codeHash = await modelCodeHash(loaded.dir, config.model);
  const version = modelVersion({
    dataMd5: dataset.source.md5,
    configHash: loaded.hash,
    codeHash,
    engine,
  });
  return {
    loaded,
    dataset,
    split,
    paths: outputPaths(loaded.dir),
    codeHash,
    version,
    engine,
    engineChoice,
    timings,
  };
}

/**
 * The trainer of model.kind (every kind a search tries), its params checked
 * against its schema with the config's lines and filled in, and the engine it
 * will train on, before anything is read or written.
 */
async function modelEngine(loaded: LoadedConfig, choice: EngineChoice): Promise<string> {
  const { model, search } = loaded.config;
  const searched = search?.space['kind'] ?? [];
  const kinds = [...new Set([model.kind, ...searched.map(String)])];
  const engines: string[] = [];
  for (const kind of kinds) {
    const trainer = await trainerFor(kind, loaded.dir);
    engines.push(await trainer.engine(choice));
    if (kind !== model.kind) continue;
    const schema = await trainer.paramsSchema?.(model);
    // A param that only the search sets is checked trial by trial (Trainer.check).
    const searchesParams = Object.keys(search?.space ?? {}).some((k) => k.startsWith('params.'));
    if (schema && !searchesParams)
      model.params = checkSection(
        loaded,
        ['model', 'params'],
        schema,
        model.kind === 'tfjs' ? `model.module ${model.module}` : `trainers/${model.kind}`,
      ) as Record<string, unknown>;
  }
  return [...new Set(engines)].join(', ');
}

function idStrings(dataset: Dataset, name: string): (string | null)[] {
  const col = column(dataset.table, name);
  return col.type === 'numeric' ? Array.from(col.values, (v) => String(v)) : col.values;
}

export const TFJS_VERSION = tf.version_core;
