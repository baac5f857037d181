/**
 * A rollback as a production record: the model rolled back to goes live again,
 * with the test metrics the registry kept for it, and the benchmark (and code
 * commit) of its earlier time in production, when it was live before.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineError } from '../errors.js';
import {
  fetchProduction,
  productionAt,
  productionLog,
  recordProduction,
  type RemoteOptions,
} from './git-ref.js';
import type { ProductionRecord } from './record.js';

export interface RollbackInput extends RemoteOptions {
  /** The bundle of the version rolled back to (fetched from the registry). */
  modelDir: string;
  model_version: string;
  /** Its test metrics as the registry recorded them; null when it has none. */
  metrics: Record<string, number> | null;
  /** The code commit that trained it, when known: recorded unless its earlier record names the deployed one. */
  commit: string | null;
  run?: ProductionRecord['run'];
  at?: Date;
}

export async function recordRollback(
  repoDir: string,
  input: RollbackInput,
): Promise<{ id: string; record: ProductionRecord }> {
  // recordProduction fetches too; the history must be the remote's before it is searched.
  if (input.remote) await fetchProduction(repoDir, input);
  const earlierEntry = (await productionLog(repoDir)).find(
    (e) => e.record.model_version === input.model_version,
  );
  const earlier = earlierEntry ? await productionAt(repoDir, earlierEntry.id) : undefined;
  const metrics = input.metrics ?? earlier?.metrics.metrics;
  if (!metrics)
    throw new PipelineError(
      'remote',
      `model ${input.model_version} has no test metrics in the registry and was never in production before`,
      {
        hint: 'Record the rollback with `mlops production record --event rollback --metrics <file>`.',
      },
    );
  const dir = await mkdtemp(join(tmpdir(), 'mlops-rollback-'));
  try {
    const metricsPath = join(dir, 'metrics.json');
    await writeFile(metricsPath, JSON.stringify({ model_version: input.model_version, metrics }));
    let benchPath: string | undefined;
    if (earlier?.bench) {
      benchPath = join(dir, 'bench.json');
      await writeFile(benchPath, JSON.stringify(earlier.bench));
    }
    return await recordProduction(repoDir, {
      event: 'rollback',
      modelDir: input.modelDir,
      metricsPath,
      benchPath,
      commit: earlier?.record.commit ?? input.commit,
      run: input.run ?? null,
      remote: input.remote,
      token: input.token,
      ...(input.at ? { at: input.at } : {}),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
