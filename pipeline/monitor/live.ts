/**
 * The live side of one model version: what its requests looked like and what
 * it answered, over the sliding window, compared with its training profile.
 * Observing a row only bumps counters in the current bucket (a binary search
 * over at most ten edges, a map lookup per category): the predict path
 * allocates nothing per row. The comparison (PSI per feature, missing and
 * unknown shares, prediction shares, live accuracy) is computed when asked,
 * at scrape time.
 */
import { psiFromCounts } from '../data/diff/drift.js';
import type { Prediction } from '../predict/predict.js';
import { isoDateToDays } from '../prepare/preprocess.js';
import type { FeatureProfile, Profile } from './profile.js';
import { BucketRing, type WindowOptions } from './ring.js';

interface FeatureSlots {
  profile: FeatureProfile;
  /** First slot of the feature's bins; then one slot for unknown categories (categorical), then missing. */
  start: number;
  bins: number;
  index?: Map<string, number>;
}

export interface FeatureView {
  name: string;
  type: 'numeric' | 'categorical';
  /** Rows in the window that had a value for it. */
  present: number;
  /** NaN below the minimum rows. */
  psi: number;
  missing_ratio: number;
  /** Categorical only: share of the present values that are not a training category. */
  unknown_ratio?: number;
  verdict: 'ok' | 'drift' | 'too_few_rows';
  bins: { bin: string; training_share: number; live_share: number }[];
}

export interface LiveView {
  rows: number;
  features: FeatureView[];
  predictions:
    | {
        task: 'classification';
        classes: { class: string; training_share: number; live_share: number }[];
      }
    | { task: 'regression'; mean: number | null; training_mean: number; psi: number };
  feedback: { count: number; accuracy?: number; rmse?: number; mae?: number };
}

/** Feedback slots: count, correct, sum of absolute errors, sum of squared errors. */
const FEEDBACK_SLOTS = 4;

function binOf(edges: readonly number[], x: number): number {
  // First edge >= x: bins are (edges[i-1], edges[i]], as data drift counts them.
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function edgeLabels(edges: readonly number[]): string[] {
  const f = (x: number) => String(Number(x.toPrecision(4)));
  return Array.from({ length: edges.length + 1 }, (_, i) =>
    i === 0
      ? `<= ${f(edges[0] ?? Infinity)}`
      : i === edges.length
        ? `> ${f(edges[i - 1]!)}`
        : `(${f(edges[i - 1]!)}, ${f(edges[i]!)}]`,
  );
}

export class ModelMonitor {
  private readonly features: FeatureSlots[];
  private readonly rowSlot: number;
  private readonly predictionStart: number;
  /** Regression: slot of the sum of predicted values. */
  private readonly predictionSum: number;
  private readonly classIndex: Map<string, number> | undefined;
  private readonly feedbackStart: number;
  private readonly ring: BucketRing;

  constructor(
    readonly version: string,
    readonly profile: Profile,
    window: WindowOptions,
    /** Fewer rows than this in the window: no PSI, verdict too_few_rows. */
    readonly minRows: number,
  ) {
    let slot = 0;
    this.features = profile.features.map((f) => {
      const bins = f.type === 'numeric' ? f.edges.length + 1 : f.categories.length + 1;
      const s: FeatureSlots = { profile: f, start: slot, bins };
      if (f.type === 'categorical') s.index = new Map(f.categories.map((c, i) => [c, i]));
      slot += bins + 1;
      return s;
    });
    this.rowSlot = slot++;
    this.predictionStart = slot;
    const p = profile.predictions;
    if (p.task === 'classification') {
      this.classIndex = new Map(p.classes.map((c, i) => [c, i]));
      slot += p.classes.length;
      this.predictionSum = -1;
    } else {
      slot += p.edges.length + 1;
      this.predictionSum = slot++;
    }
    this.feedbackStart = slot;
    slot += FEEDBACK_SLOTS;
    this.ring = new BucketRing(slot, window);
  }

  /** Count rows that passed validation and their predictions. */
  observe(rows: readonly unknown[], predictions: readonly Prediction[]): void {
    const at = this.ring.current();
    const data = this.ring.data;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as Record<string, unknown>;
      for (const f of this.features) {
        const value = Object.hasOwn(row, f.profile.name) ? row[f.profile.name] : undefined;
        let bin: number;
        if (value === undefined || value === null) bin = f.bins;
        else if (f.index) bin = f.index.get(value as string) ?? f.bins - 1;
        else {
          // A date column may be given as its text, as the data file holds it.
          const x = typeof value === 'number' ? value : isoDateToDays(value as string);
          if (x === undefined) continue;
          bin = binOf((f.profile as { edges: number[] }).edges, x);
        }
        data[at + f.start + bin]!++;
      }
      data[at + this.rowSlot]!++;
      const p = predictions[r]!;
      if ('label' in p) data[at + this.predictionStart + this.classIndex!.get(p.label)!]!++;
      else {
        const edges = (this.profile.predictions as { edges: number[] }).edges;
        data[at + this.predictionStart + binOf(edges, p.value)]!++;
        data[at + this.predictionSum]! += p.value;
      }
    }
  }

  /** Record the true value given for a prediction. */
  feedback(correct: boolean | undefined, error: number | undefined): void {
    const at = this.ring.current() + this.feedbackStart;
    const data = this.ring.data;
    data[at]!++;
    if (correct) data[at + 1]!++;
    if (error !== undefined) {
      data[at + 2]! += Math.abs(error);
      data[at + 3]! += error * error;
    }
  }

  view(): LiveView {
    const t = this.ring.totals();
    const rows = t[this.rowSlot]!;
    const enough = rows >= this.minRows;
    const features = this.features.map((f): FeatureView => {
      const live = Array.from(t.subarray(f.start, f.start + f.bins));
      const missing = t[f.start + f.bins]!;
      const present = live.reduce((a, b) => a + b, 0);
      const training = f.profile.shares;
      // Unknown categories have no training share: PSI gives them the empty-bin share.
      const base = f.profile.type === 'categorical' ? [...training, 0] : training;
      const psi = enough ? psiFromCounts(base, live) : NaN;
      const labels =
        f.profile.type === 'numeric'
          ? edgeLabels(f.profile.edges)
          : [...f.profile.categories, '(unknown)'];
      return {
        name: f.profile.name,
        type: f.profile.type,
        present,
        psi,
        missing_ratio: rows ? missing / rows : 0,
        ...(f.profile.type === 'categorical'
          ? { unknown_ratio: present ? live[f.bins - 1]! / present : 0 }
          : {}),
        verdict:
          !enough || Number.isNaN(psi)
            ? 'too_few_rows'
            : psi > this.profile.thresholds.psi
              ? 'drift'
              : 'ok',
        bins: labels.map((bin, i) => ({
          bin,
          training_share: base[i] ?? 0,
          live_share: present ? live[i]! / present : 0,
        })),
      };
    });
    const p = this.profile.predictions;
    const predicted = t.subarray(
      this.predictionStart,
      this.predictionStart + (p.task === 'classification' ? p.classes.length : p.edges.length + 1),
    );
    const predictions: LiveView['predictions'] =
      p.task === 'classification'
        ? {
            task: 'classification',
            classes: p.classes.map((c, i) => ({
              class: c,
              training_share: p.shares[i] ?? 0,
              live_share: rows ? predicted[i]! / rows : 0,
            })),
          }
        : {
            task: 'regression',
            mean: rows ? t[this.predictionSum]! / rows : null,
            training_mean: p.mean,
            psi: enough ? psiFromCounts(p.shares, Array.from(predicted)) : NaN,
          };
    const fb = this.feedbackStart;
    const count = t[fb]!;
    const feedback: LiveView['feedback'] = { count };
    if (count && p.task === 'classification') feedback.accuracy = t[fb + 1]! / count;
    if (count && p.task === 'regression') {
      feedback.mae = t[fb + 2]! / count;
      feedback.rmse = Math.sqrt(t[fb + 3]! / count);
    }
    return { rows, features, predictions, feedback };
  }
}
