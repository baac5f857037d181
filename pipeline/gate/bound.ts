/**
 * One bound on one number, the check behind the quality gates of a model
 * (gate.ts) and of a benchmark (bench/gate.ts): an absolute bound (the value is
 * at least or at most a number) or a bound on its change against a baseline
 * (it drops or rises at most by an amount, or by a percent of the baseline).
 * A change bound with no baseline to compare with is skipped and says why, and
 * counts as passed; a bound on a value this run does not have fails.
 */
import { z } from 'zod';

/** `min`/`max` bound the value; `max_drop`/`max_rise` bound its change against the baseline. */
export type BoundType = 'min' | 'max' | 'max_drop' | 'max_rise';

export interface Bound<K extends string = string> {
  metric: string;
  /** The config key that set the bound, reported as the gate's kind. */
  kind: K;
  type: BoundType;
  limit: number;
  /** For a change bound: `limit` is a percent of the baseline, not an amount of the metric. */
  percent?: boolean;
}

/** What every gate reports; model and benchmark gates add their kind and how they show a change. */
export const BoundResultSchema = z.object({
  name: z.string(),
  metric: z.string(),
  /** The value; null when this run has no such value. */
  value: z.number().nullable(),
  /** The bound the value was held to (for change bounds: the baseline moved by the allowed change). */
  bound: z.number().nullable(),
  baseline: z.number().nullable(),
  passed: z.boolean(),
  /** Why a gate was not checked (a change bound with no baseline); it counts as passed. */
  skipped: z.string().optional(),
});

export type BoundResult<K extends string = string> = z.infer<typeof BoundResultSchema> & {
  kind: K;
};

// Metrics and bounds are both computed in floating point (a mean over the test
// rows, a baseline times 1.1), so a value that meets its bound exactly in decimal
// can miss it by a few units in the last place, and `0.1 + 0.2 <= 0.3` is false.
// The slack that forgives this has to scale with the numbers compared (rows/s
// in the hundred thousands carry rounding error a million times larger than an
// accuracy does), hence relative; near zero a relative slack vanishes, hence
// the absolute floor. One part in 10^9 is far above accumulated rounding error
// (about 10^-16 per operation) and far below any difference a gate is meant to
// catch; it also equals the absolute 1e-9 model gates have always allowed.
const RELATIVE_TOLERANCE = 1e-9;
const ABSOLUTE_TOLERANCE = 1e-9;

/** Whether `value` is at least (`min`) or at most (`max`) `bound`, up to floating-point noise. */
export function meets(value: number, side: 'min' | 'max', bound: number): boolean {
  const slack = Math.max(
    ABSOLUTE_TOLERANCE,
    RELATIVE_TOLERANCE * Math.max(Math.abs(value), Math.abs(bound)),
  );
  return side === 'min' ? value >= bound - slack : value <= bound + slack;
}

function nameOf(b: Bound): string {
  if (b.type === 'min') return `${b.metric} >= ${b.limit}`;
  if (b.type === 'max') return `${b.metric} <= ${b.limit}`;
  const verb = b.type === 'max_drop' ? 'drops' : 'rises';
  return `${b.metric} ${verb} at most ${b.limit}${b.percent ? '%' : ''} vs baseline`;
}

/** The value a change bound holds the metric to: the baseline minus the allowed drop, or plus the allowed rise. */
function changeBound(b: Bound, base: number): number {
  const sign = b.type === 'max_drop' ? -1 : 1;
  return b.percent ? base * (1 + (sign * b.limit) / 100) : base + sign * b.limit;
}

export function checkBound<K extends string>(
  b: Bound<K>,
  metrics: Readonly<Record<string, number>>,
  baseline?: Readonly<Record<string, number>>,
): BoundResult<K> {
  const value = metrics[b.metric] ?? null;
  const base = baseline?.[b.metric] ?? null;
  const common = { name: nameOf(b), metric: b.metric, kind: b.kind, value, baseline: base };
  if (b.type === 'min' || b.type === 'max')
    return { ...common, bound: b.limit, passed: value !== null && meets(value, b.type, b.limit) };
  if (base === null)
    return {
      ...common,
      bound: null,
      passed: true,
      skipped: baseline ? `the baseline has no ${b.metric}` : 'no baseline to compare with',
    };
  const bound = changeBound(b, base);
  const side = b.type === 'max_drop' ? 'min' : 'max';
  return { ...common, bound, passed: value !== null && meets(value, side, bound) };
}

/**
 * The bounds a gates config sets, metric by metric in the config's order and,
 * within a metric, in the order of `kinds` (config key → what it bounds).
 */
export function boundsOf<K extends string>(
  gates: Readonly<Record<string, Partial<Record<K, number>>>>,
  kinds: Readonly<Record<K, { type: BoundType; percent?: boolean }>>,
): Bound<K>[] {
  return Object.entries(gates).flatMap(([metric, gate]) =>
    (Object.keys(kinds) as K[]).flatMap((kind) => {
      const limit = gate[kind];
      return limit === undefined ? [] : [{ metric, kind, limit, ...kinds[kind] }];
    }),
  );
}

export function checkBounds<K extends string>(
  bounds: readonly Bound<K>[],
  metrics: Readonly<Record<string, number>>,
  baseline?: Readonly<Record<string, number>>,
): { passed: boolean; results: BoundResult<K>[] } {
  const results = bounds.map((b) => checkBound(b, metrics, baseline));
  return { passed: results.every((r) => r.passed), results };
}
