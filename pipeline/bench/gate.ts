/**
 * Benchmark gates: absolute bounds on a measurement (`min`, `max`) and bounds on
 * its change against the baseline bench.json in percent (`max_rise_pct`,
 * `max_drop_pct`), since timings move in proportion, not by fixed amounts.
 * A gated measurement this run did not take fails: a gate nobody checked is
 * not a pass. The check itself is gate/bound.ts, the same as for model gates.
 */
import { z } from 'zod';
import type { BenchConfig } from '../config/schema.js';
import { BoundResultSchema, boundsOf, checkBounds } from '../gate/bound.js';

export const BenchGateResultSchema = BoundResultSchema.extend({
  kind: z.enum(['min', 'max', 'max_rise_pct', 'max_drop_pct']),
  /** Change against the baseline in percent. */
  change_pct: z.number().nullable(),
  /** Why it failed when there was no value to compare. */
  reason: z.string().optional(),
});

export type BenchGateResult = z.infer<typeof BenchGateResultSchema>;

// The config keys of a benchmark gate; changes are in percent of the baseline.
const KINDS = {
  min: { type: 'min' },
  max: { type: 'max' },
  max_rise_pct: { type: 'max_rise', percent: true },
  max_drop_pct: { type: 'max_drop', percent: true },
} as const;

export function checkBenchGates(
  gates: BenchConfig['gates'],
  metrics: Readonly<Record<string, number>>,
  baseline?: Readonly<Record<string, number>>,
): { passed: boolean; gates: BenchGateResult[] } {
  const outcome = checkBounds(boundsOf(gates, KINDS), metrics, baseline);
  const results = outcome.results.map((r): BenchGateResult => ({
    ...r,
    change_pct:
      r.value !== null && r.baseline !== null && r.baseline !== 0
        ? (r.value / r.baseline - 1) * 100
        : null,
    ...(r.value === null && r.skipped === undefined
      ? { reason: `${r.metric} was not measured in this run` }
      : {}),
  }));
  return { passed: outcome.passed, gates: results };
}
