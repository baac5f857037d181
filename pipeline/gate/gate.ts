/**
 * Quality gates, in the spirit of TFX's Evaluator: absolute bounds on a metric
 * (`min`, `max`) and change bounds against the production baseline (`max_drop`,
 * `max_rise`, amounts of the metric). Every gate is reported with its numbers,
 * passed or not. The check itself is bound.ts, shared with the benchmark gates;
 * this maps `gates` of mlops.yaml onto it and adds the change against the baseline.
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { BoundResultSchema, boundsOf, checkBounds } from './bound.js';

export const GateKindSchema = z.enum(['min', 'max', 'max_drop', 'max_rise']);

export const GateResultSchema = BoundResultSchema.extend({
  kind: GateKindSchema,
  /** The allowed change, for max_drop and max_rise. */
  allowed: z.number().optional(),
  delta: z.number().nullable(),
});

export type GateResult = z.infer<typeof GateResultSchema>;

export interface GateOutcome {
  passed: boolean;
  gates: GateResult[];
}

// The config keys of a model gate; changes are amounts of the metric (accuracy 0.02).
const KINDS = {
  min: { type: 'min' },
  max: { type: 'max' },
  max_drop: { type: 'max_drop' },
  max_rise: { type: 'max_rise' },
} as const;

export function checkGates(
  gates: Config['gates'],
  metrics: Readonly<Record<string, number>>,
  baseline?: Readonly<Record<string, number>>,
): GateOutcome {
  const bounds = boundsOf(gates, KINDS);
  const outcome = checkBounds(bounds, metrics, baseline);
  const results = outcome.results.map((r, i): GateResult => ({
    ...r,
    ...(r.kind === 'max_drop' || r.kind === 'max_rise' ? { allowed: bounds[i]!.limit } : {}),
    delta: r.value !== null && r.baseline !== null ? r.value - r.baseline : null,
  }));
  return { passed: outcome.passed, gates: results };
}
