/**
 * The gate stage: the gates of mlops.yaml on reports/metrics.json, written back
 * into it. Needs no model and no data, so a shell that only gates loads neither.
 */
import type { LoadedConfig } from '../config/load.js';
import type { OutputPaths } from '../config/paths.js';
import { checkClassGates } from '../data/class-gates.js';
import type { Baseline } from '../gate/baseline.js';
import { checkGates } from '../gate/gate.js';
import type { MetricsFile } from '../report/metrics-file.js';
import { writeFileAtomic } from '../util/files.js';

export async function gateStage(
  ctx: { loaded: LoadedConfig; paths: OutputPaths },
  result: MetricsFile,
  baseline?: { path: string; data: Baseline },
): Promise<MetricsFile> {
  // A gate on a class the model does not have is the config's fault (exit 2), not a failed gate.
  if (result.classes) checkClassGates(ctx.loaded, result.classes);
  const outcome = checkGates(ctx.loaded.config.gates, result.metrics, baseline?.data.metrics);
  const gated: MetricsFile = {
    ...result,
    gates: outcome.gates,
    passed: outcome.passed,
    baseline: baseline
      ? { model_version: baseline.data.model_version ?? null, path: baseline.path }
      : null,
  };
  await writeFileAtomic(ctx.paths.metrics, `${JSON.stringify(gated, null, 2)}\n`);
  return gated;
}
