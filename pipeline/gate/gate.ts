/**
 * Quality gates, in the spirit of TFX's Evaluator: absolute bounds on a metric
 * (`min`, `max`) and change bounds against the production baseline (`max_drop`,
 * `max_rise`). Every gate is reported with its numbers, passed or not.
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';

export const GateKindSchema = z.enum(['min', 'max', 'max_drop', 'max_rise']);

export const GateResultSchema = z.object({
  name: z.string(),
  metric: z.string(),
  kind: GateKindSchema,
  /** The metric's value; null when this model has no such metric. */
  value: z.number().nullable(),
  /** The bound the value was held to (for change gates: baseline ∓ allowed change). */
  bound: z.number().nullable(),
  /** The allowed change, for max_drop and max_rise. */
  allowed: z.number().optional(),
  baseline: z.number().nullable(),
  delta: z.number().nullable(),
  passed: z.boolean(),
  /** Why a gate was not checked (a change gate with no baseline); it counts as passed. */
  skipped: z.string().optional(),
});

export type GateResult = z.infer<typeof GateResultSchema>;

export interface GateOutcome {
  passed: boolean;
  gates: GateResult[];
}

// Metrics are computed in float arithmetic; a bound met to 1e-9 is met.
const TOLERANCE = 1e-9;

export function checkGates(
  gates: Config['gates'],
  metrics: Readonly<Record<string, number>>,
  baseline?: Readonly<Record<string, number>>,
): GateOutcome {
  const results: GateResult[] = [];
  for (const [metric, gate] of Object.entries(gates)) {
    const value = metrics[metric] ?? null;
    const base = baseline?.[metric] ?? null;
    const delta = value !== null && base !== null ? value - base : null;
    const common = { metric, value, baseline: base, delta };
    if (gate.min !== undefined)
      results.push({
        ...common,
        name: `${metric} >= ${gate.min}`,
        kind: 'min',
        bound: gate.min,
        passed: value !== null && value >= gate.min - TOLERANCE,
      });
    if (gate.max !== undefined)
      results.push({
        ...common,
        name: `${metric} <= ${gate.max}`,
        kind: 'max',
        bound: gate.max,
        passed: value !== null && value <= gate.max + TOLERANCE,
      });
    for (const kind of ['max_drop', 'max_rise'] as const) {
      const allowed = gate[kind];
      if (allowed === undefined) continue;
      const name = `${metric} ${kind === 'max_drop' ? 'drops' : 'rises'} at most ${allowed} vs baseline`;
      if (base === null) {
        results.push({
          ...common,
          name,
          kind,
          bound: null,
          allowed,
          passed: true,
          skipped: baseline ? `the baseline has no ${metric}` : 'no baseline to compare with',
        });
        continue;
      }
      const bound = kind === 'max_drop' ? base - allowed : base + allowed;
      results.push({
        ...common,
        name,
        kind,
        bound,
        allowed,
        passed:
          value !== null &&
          (kind === 'max_drop' ? value >= bound - TOLERANCE : value <= bound + TOLERANCE),
      });
    }
  }
  return { passed: results.every((r) => r.passed), gates: results };
}
