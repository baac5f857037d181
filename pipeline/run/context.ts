/**
 * What every stage starts from: the validated config, the dataset its pointer
 * names, the split, and the version a model trained on them would have.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { readDataset, type Dataset, type ReadDatasetOptions } from '../data/dataset.js';
import { splitRows, type Split } from '../data/split.js';
import { column } from '../data/table.js';
import { modelCodeHash, modelVersion } from '../package/lineage.js';
import { outputPaths, type OutputPaths } from '../config/paths.js';

export interface RunContext {
  loaded: LoadedConfig;
  dataset: Dataset;
  split: Split;
  paths: OutputPaths;
  codeHash: string;
  /** Content hash of data, config and training code. */
  version: string;
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
  const codeHash = await modelCodeHash(loaded.dir, config.model);
  const version = modelVersion({ dataMd5: dataset.source.md5, configHash: loaded.hash, codeHash });
  return { loaded, dataset, split, paths: outputPaths(loaded.dir), codeHash, version, timings };
}

function idStrings(dataset: Dataset, name: string): (string | null)[] {
  const col = column(dataset.table, name);
  return col.type === 'numeric' ? Array.from(col.values, (v) => String(v)) : col.values;
}

export const TFJS_VERSION = tf.version_core;
