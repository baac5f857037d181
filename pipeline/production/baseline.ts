/**
 * The production record as the baseline the change gates and the report
 * compare with: its metrics.json for the quality gates, its bench.json for the
 * benchmark, each carrying the record so the report can say which production
 * it compared with and since when.
 */
import { readBaseline, type Baseline } from '../gate/baseline.js';
import { git } from './git.js';
import {
  PRODUCTION_REF,
  readLocalProduction,
  readProduction,
  type RemoteOptions,
} from './git-ref.js';
import type { ProductionRecord } from './record.js';

/** A baseline, and the production record it is the metrics of when it came from one. */
export type ProductionBaseline = Baseline & { production?: ProductionRecord };

export interface ResolvedBaseline {
  /** Where it came from: a file, or `refs/mlops/production:<file>`. */
  path: string;
  data: ProductionBaseline;
}

/** The word `--baseline` takes for "the production record". */
export const PRODUCTION = 'production';

async function insideGit(dir: string): Promise<boolean> {
  return git(dir, ['rev-parse', '--git-dir']).then(
    () => true,
    () => false,
  );
}

/**
 * Production's metrics and benchmark as baselines, fetched from the remote
 * first (see readProduction); none when there is no production yet or `dir`
 * is in no git repository (there is nowhere a record could be).
 */
export async function productionBaselines(
  dir: string,
  options: RemoteOptions & { fetch?: boolean } = {},
): Promise<{ metrics?: ResolvedBaseline; bench?: ResolvedBaseline }> {
  if (!(await insideGit(dir))) return {};
  const production =
    options.fetch === false ? await readLocalProduction(dir) : await readProduction(dir, options);
  if (!production) return {};
  const at = (file: string, data: Baseline): ResolvedBaseline => ({
    path: `${PRODUCTION_REF}:${file}`,
    data: { ...data, production: production.record },
  });
  return {
    metrics: at('metrics.json', production.metrics),
    ...(production.bench ? { bench: at('bench.json', production.bench) } : {}),
  };
}

/**
 * A `--baseline` argument: a metrics.json file, `production` (the record,
 * fetched from origin when there is one), or `refs/mlops/production:metrics.json`
 * as reports/metrics.json names the baseline its gates used (the local record).
 */
export async function resolveBaseline(
  arg: string | undefined,
  dir: string,
): Promise<ResolvedBaseline | undefined> {
  if (arg === undefined) return undefined;
  if (arg === PRODUCTION) return (await productionBaselines(dir)).metrics;
  if (arg.startsWith(`${PRODUCTION_REF}:`))
    return (await productionBaselines(dir, { fetch: false })).metrics;
  return { path: arg, data: await readBaseline(arg) };
}
