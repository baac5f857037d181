/**
 * Monitoring of the model versions a server has answered with: one live
 * window per version (the current one and the few before it, so feedback on
 * an answer given just before a reload still counts for the model that gave
 * it), and the answers feedback can score. The server feeds it; it knows
 * nothing of HTTP.
 */
import type { Preprocess } from '../prepare/preprocess.js';
import type { Prediction } from '../predict/predict.js';
import { AnswerStore } from './answers.js';
import { ModelMonitor, type LiveView } from './live.js';
import type { Profile } from './profile.js';

export interface MonitoringOptions {
  /** Length of the sliding window, in seconds (3600). */
  windowSeconds?: number;
  /** Buckets the window is cut into (60: one a minute over an hour). */
  buckets?: number;
  /** Fewer rows in the window than this: no PSI yet (100). */
  minRows?: number;
  /** Predicted rows kept for feedback (10,000). */
  maxAnswerRows?: number;
}

/** Model versions kept: the current one and the two before it. */
const VERSIONS_KEPT = 3;

export interface VersionView extends LiveView {
  model_version: string;
  profile: boolean;
  thresholds: Profile['thresholds'];
}

export type FeedbackResult =
  | { ok: true; model_version: string; rows: number }
  | { ok: false; status: 404 | 409 | 422; code: string; message: string };

/** A profile with no features, for a bundle written before profiles: feedback still scores it. */
function emptyProfile(pre: Preprocess): Profile {
  const target = pre.target;
  return {
    format: 'mlops-profile/1',
    rows: 0,
    features: [],
    predictions:
      target.task === 'classification'
        ? { task: 'classification', rows: 0, classes: target.classes, shares: [] }
        : {
            task: 'regression',
            rows: 0,
            mean: target.mean,
            quantiles: {},
            edges: [],
            shares: [1],
          },
    thresholds: { psi: 0.2 },
  };
}

export class Monitoring {
  readonly windowSeconds: number;
  private readonly buckets: number;
  readonly minRows: number;
  private readonly monitors = new Map<string, { monitor: ModelMonitor; profile: boolean }>();
  private readonly answers: AnswerStore;

  constructor(options: MonitoringOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 3600;
    this.buckets = options.buckets ?? 60;
    this.minRows = options.minRows ?? 100;
    this.answers = new AnswerStore(options.maxAnswerRows ?? 10_000, this.windowSeconds * 1000);
  }

  /** A model version was loaded: start its window (kept if it was loaded before). */
  loaded(version: string, pre: Preprocess, profile: Profile | undefined): void {
    if (this.monitors.has(version)) return;
    const monitor = new ModelMonitor(
      version,
      profile ?? emptyProfile(pre),
      { windowMs: this.windowSeconds * 1000, buckets: this.buckets },
      this.minRows,
    );
    this.monitors.set(version, { monitor, profile: profile !== undefined });
    for (const oldest of this.monitors.keys()) {
      if (this.monitors.size <= VERSIONS_KEPT) break;
      this.monitors.delete(oldest);
    }
  }

  /** Rows a version answered, under the request id feedback will name. */
  answered(
    version: string,
    requestId: string,
    rows: readonly unknown[],
    predictions: readonly Prediction[],
    batch: boolean,
  ): void {
    const entry = this.monitors.get(version);
    if (!entry) return;
    entry.monitor.observe(rows, predictions);
    this.answers.add(requestId, version, predictions, batch);
  }

  feedback(requestId: string, value: unknown): FeedbackResult {
    const lookup = this.answers.get(requestId);
    if (!lookup.found)
      return {
        ok: false,
        status: 404,
        code: 'not_found',
        message: `request ${requestId} is ${lookup.reason === 'expired' ? 'older than the monitoring window' : 'not one this server answered recently'} (answers are kept for ${this.windowSeconds} s)`,
      };
    const { answer } = lookup;
    if (answer.scored)
      return {
        ok: false,
        status: 409,
        code: 'conflict',
        message: `request ${requestId} already has feedback`,
      };
    const entry = this.monitors.get(answer.version);
    if (!entry)
      return {
        ok: false,
        status: 404,
        code: 'not_found',
        message: `model ${answer.version}, which answered request ${requestId}, is no longer monitored`,
      };
    const n = answer.predicted.length;
    const values = answer.batch ? value : [value];
    if (!Array.isArray(values) || values.length !== n)
      return invalid(
        answer.batch
          ? `request ${requestId} predicted ${n} rows: give value as an array of ${n} true values`
          : `request ${requestId} predicted one row: give value as one true value, not an array`,
      );
    const task = entry.monitor.profile.predictions;
    for (let i = 0; i < n; i++) {
      const v: unknown = values[i];
      if (task.task === 'classification' ? !task.classes.includes(v as string) : !isFinite(v))
        return invalid(
          `value${answer.batch ? `[${i}]` : ''}: expected ${task.task === 'classification' ? `one of the classes ${task.classes.map((c) => JSON.stringify(c)).join(', ')}` : 'a finite number'}, got ${JSON.stringify(v)?.slice(0, 40) ?? String(v)}`,
        );
    }
    this.answers.score(requestId);
    for (let i = 0; i < n; i++) {
      const p = answer.predicted[i]!;
      if (typeof p === 'string') entry.monitor.feedback(p === values[i], undefined);
      else entry.monitor.feedback(undefined, p - (values[i] as number));
    }
    return { ok: true, model_version: answer.version, rows: n };
  }

  /** What each kept version's window holds, newest last. */
  views(): VersionView[] {
    return [...this.monitors].map(([version, { monitor, profile }]) => ({
      model_version: version,
      profile,
      thresholds: monitor.profile.thresholds,
      ...monitor.view(),
    }));
  }
}

function isFinite(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

function invalid(message: string): FeedbackResult {
  return { ok: false, status: 422, code: 'invalid_feedback', message };
}
