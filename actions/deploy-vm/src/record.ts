/**
 * After a release is live and ready: append a `release` record to
 * refs/mlops/production (pipeline/production) and push it to origin, so every
 * pull request's workflow compares with what is really live.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { recordProduction } from '../../../pipeline/production/git-ref.js';
import type { ProductionRecord } from '../../../pipeline/production/record.js';

export interface RecordRequest {
  model: string;
  metrics: string;
  /** Recorded when the file is there. */
  bench: string;
  token: string;
}

export async function recordRelease(
  request: RecordRequest,
): Promise<{ id: string; record: ProductionRecord }> {
  const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
  const env = (name: string) => process.env[name] || undefined;
  const runId = env('GITHUB_RUN_ID');
  const server = env('GITHUB_SERVER_URL') ?? 'https://github.com';
  const repository = env('GITHUB_REPOSITORY');
  return recordProduction(workspace, {
    event: 'release',
    modelDir: resolve(workspace, request.model),
    metricsPath: resolve(workspace, request.metrics),
    benchPath: existsSync(resolve(workspace, request.bench))
      ? resolve(workspace, request.bench)
      : undefined,
    commit: env('GITHUB_SHA') ?? null,
    run:
      runId && repository
        ? { id: runId, url: `${server}/${repository}/actions/runs/${runId}` }
        : null,
    remote: 'origin',
    token: request.token || undefined,
  });
}
