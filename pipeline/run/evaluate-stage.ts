/** The evaluate stage: the saved model on the test split → reports/metrics.json. */
import { takeRows } from '../data/table.js';
import { evaluateNetwork } from '../evaluate/evaluate.js';
import type { ModelBundle } from '../model/load.js';
import type { MetricsFile } from '../report/metrics-file.js';
import { writeFileAtomic } from '../util/files.js';
import { timed, type RunContext } from './context.js';

export async function evaluateStage(ctx: RunContext, bundle: ModelBundle): Promise<MetricsFile> {
  const testRows = takeRows(ctx.dataset.table, ctx.split.test);
  const evaluation = await timed(ctx.timings, 'evaluate', () =>
    evaluateNetwork(bundle.network, bundle.preprocess, testRows),
  );
  const metadata = bundle.metadata;
  const result: MetricsFile = {
    model_version: metadata.model_version,
    name: metadata.name,
    task: metadata.task,
    created_at: new Date().toISOString(),
    split: 'test',
    rows: evaluation.rows,
    metrics: evaluation.metrics,
    ...('confusion' in evaluation.detail
      ? { confusion: evaluation.detail.confusion, classes: metadata.target.classes }
      : {}),
    gates: [],
    passed: null,
    baseline: null,
  };
  // The test metrics go to reports/metrics.json alone: the bundle stays as trained.
  await writeFileAtomic(ctx.paths.metrics, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
