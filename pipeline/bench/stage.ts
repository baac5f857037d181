/**
 * The bench stage from files to files: the saved model in artifacts/model →
 * reports/bench.json, gated by `bench.gates` of mlops.yaml against an optional
 * baseline bench.json.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { ModelBundle } from '../model/load.js';
import type { OutputPaths } from '../config/paths.js';
import { productionBaselines } from '../production/baseline.js';
import { PRODUCTION_REF } from '../production/git-ref.js';
import { writeFileAtomic } from '../util/files.js';
import {
  readBenchBaseline,
  readBenchFile,
  type BenchBaseline,
  type BenchFile,
} from './bench-file.js';
import { checkBenchGates } from './gate.js';
import type { HttpTarget } from './http.js';
import { measureBench } from './measure.js';

export const benchPath = (paths: Pick<OutputPaths, 'reports'>) => join(paths.reports, 'bench.json');

export interface BenchStageInput {
  loaded: LoadedConfig;
  paths: OutputPaths;
  bundle: ModelBundle;
  /** Where the bundle was loaded from (for its size on disk). */
  modelDir: string;
  backend: string;
  http?: HttpTarget;
  baseline?: { path: string; data: BenchBaseline };
  onPhase?: (phase: 'in-process' | 'http') => void;
  signal?: AbortSignal;
}

/** Gate a measured run against the config and a baseline. */
export function gateBench(
  bench: BenchFile,
  gates: LoadedConfig['config']['bench']['gates'],
  baseline?: { path: string; data: BenchBaseline },
): BenchFile {
  const outcome = checkBenchGates(gates, bench.metrics, baseline?.data.metrics);
  return {
    ...bench,
    gates: outcome.gates,
    passed: outcome.passed,
    baseline: baseline
      ? { model_version: baseline.data.model_version ?? null, path: baseline.path }
      : null,
  };
}

export async function benchStage(input: BenchStageInput): Promise<BenchFile> {
  const { gates, ...settings } = input.loaded.config.bench;
  const measured = await measureBench({
    bundle: input.bundle,
    modelDir: input.modelDir,
    settings,
    http: input.http,
    backend: input.backend,
    onPhase: input.onPhase,
    signal: input.signal,
  });
  const gated = gateBench(measured, gates, input.baseline);
  await writeFileAtomic(benchPath(input.paths), `${JSON.stringify(gated, null, 2)}\n`);
  return gated;
}

export interface MeasuredBench {
  bench: BenchFile;
  baseline?: BenchBaseline;
}

/**
 * What reports/bench.json measured, with its baseline, for the report: only
 * when it measured this very model (a benchmark of an older model would
 * describe something else); undefined otherwise or when there is none.
 */
/**
 * The benchmark baseline bench.json names: a file, or production's bench.json
 * on the local production record (`refs/mlops/production:bench.json`).
 */
async function readBaselineAt(path: string, dir: string): Promise<BenchBaseline | undefined> {
  if (!path.startsWith(`${PRODUCTION_REF}:`)) return readBenchBaseline(path);
  return (await productionBaselines(dir, { fetch: false })).bench?.data;
}

export async function benchOfModel(
  paths: Pick<OutputPaths, 'reports'>,
  modelVersion: string,
): Promise<MeasuredBench | undefined> {
  let bench: BenchFile;
  try {
    bench = await readBenchFile(benchPath(paths));
  } catch {
    return undefined;
  }
  if (bench.model_version !== modelVersion) return undefined;
  const baseline = bench.baseline
    ? await readBaselineAt(bench.baseline.path, paths.reports).catch(() => undefined)
    : undefined;
  return { bench, baseline };
}
