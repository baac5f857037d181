/**
 * The search loop: run each trial, score it on the validation split, keep the
 * best. Generic over how a trial runs (train passes its fit), so the search
 * knows nothing of networks beyond "a result that can be let go".
 */
import { higherIsBetter } from '../config/metrics.js';
import type { SearchConfig } from '../config/schema.js';
import { PipelineError } from '../errors.js';
import type { TrialParams } from './space.js';

export interface TrialRecord {
  trial: number;
  params: TrialParams;
  metric: string;
  score: number;
  best_epoch: number;
  epochs_run: number;
  seconds: number;
}

/** What one trial gives the search to rank it. */
export interface TrialResult {
  /** Validation loss after each epoch. */
  valLosses: number[];
  /** Metrics on the validation split. */
  metrics: Record<string, number>;
  bestEpoch: number;
  seconds: number;
  /** Frees what the trial holds (its network) once it has lost. */
  release(): void;
}

export interface SearchOutcome<R extends TrialResult> {
  best: R;
  bestIndex: number;
  trials: TrialRecord[];
}

export async function runSearch<R extends TrialResult>(
  search: SearchConfig,
  candidates: readonly TrialParams[],
  runTrial: (params: TrialParams, index: number) => Promise<R>,
  onTrial?: (trial: TrialRecord, trials: number) => void,
): Promise<SearchOutcome<R>> {
  const better = higherIsBetter(search.metric);
  const trials: TrialRecord[] = [];
  let best: { result: R; index: number; score: number; valLoss: number } | undefined;
  for (const [i, params] of candidates.entries()) {
    const result = await runTrial(params, i).catch((error: unknown) => {
      best?.result.release();
      throw error;
    });
    const valLoss = Math.min(...result.valLosses);
    const score = search.metric === 'val_loss' ? valLoss : result.metrics[search.metric];
    // roc_auc, say, exists for two classes only: a search cannot rank trials without it.
    if (score === undefined) {
      result.release();
      best?.result.release();
      throw new PipelineError(
        'config',
        `search.metric: this model has no "${search.metric}" on the validation split; it has ${Object.keys(result.metrics).join(', ')}`,
        { hint: 'roc_auc is computed for binary classification only.' },
      );
    }
    const record: TrialRecord = {
      trial: i + 1,
      params,
      metric: search.metric,
      score,
      best_epoch: result.bestEpoch,
      epochs_run: result.valLosses.length,
      seconds: result.seconds,
    };
    trials.push(record);
    onTrial?.(record, candidates.length);
    // Equal scores (common for accuracy on small validation sets): the lower validation loss wins.
    const wins =
      !best ||
      (better ? score > best.score : score < best.score) ||
      (score === best.score && valLoss < best.valLoss);
    if (wins) {
      best?.result.release();
      best = { result, index: i, score, valLoss };
    } else result.release();
  }
  if (!best) throw new PipelineError('config', 'search: the space gives no trial to run');
  return { best: best.result, bestIndex: best.index, trials };
}
