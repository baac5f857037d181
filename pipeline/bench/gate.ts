/**
 * Benchmark gates: absolute bounds on a measurement (`min`, `max`) and bounds on
 * its change against the baseline bench.json in percent (`max_rise_pct`,
 * `max_drop_pct`), since timings move in proportion, not by fixed amounts.
 * A gated measurement this run did not take fails: a gate nobody checked is
 * not a pass.
 */
import { z } from 'zod';
import type { BenchConfig } from '../config/schema.js';

export const BenchGateResultSchema = z.object({
  name: z.string(),
  metric: z.string(),
  kind: z.enum(['min', 'max', 'max_rise_pct', 'max_drop_pct']),
  value: z.number().nullable(),
  bound: z.number().nullable(),
  baseline: z.number().nullable(),
  /** Change against the baseline in percent. */
  change_pct: z.number().nullable(),
  passed: z.boolean(),
  /** Why a change gate was not checked (no baseline); it counts as passed. */
  skipped: z.string().optional(),
  /** Why it failed when there was no value to compare. */
  reason: z.string().optional(),
});

export type BenchGateResult = z.infer<typeof BenchGateResultSchema>;

export function checkBenchGates(
  gates: BenchConfig['gates'],
  metrics: Readonly<Record<string, number>>,
  baseline?: Readonly<Record<string, number>>,
): { passed: boolean; gates: BenchGateResult[] } {
  const results: BenchGateResult[] = [];
  for (const [metric, gate] of Object.entries(gates)) {
    const value = metrics[metric] ?? null;
    const base = baseline?.[metric] ?? null;
    const change_pct =
      value !== null && base !== null && base !== 0 ? (value / base - 1) * 100 : null;
    const common = { metric, value, baseline: base, change_pct };
    const missing = value === null ? { reason: `${metric} was not measured in this run` } : {};
    if (gate.min !== undefined)
      results.push({
        ...common,
        ...missing,
        name: `${metric} >= ${gate.min}`,
        kind: 'min',
        bound: gate.min,
        passed: value !== null && value >= gate.min,
      });
    if (gate.max !== undefined)
      results.push({
        ...common,
        ...missing,
        name: `${metric} <= ${gate.max}`,
        kind: 'max',
        bound: gate.max,
        passed: value !== null && value <= gate.max,
      });
    for (const kind of ['max_rise_pct', 'max_drop_pct'] as const) {
      const pct = gate[kind];
      if (pct === undefined) continue;
      const rise = kind === 'max_rise_pct';
      const name = `${metric} ${rise ? 'rises' : 'drops'} at most ${pct}% vs baseline`;
      if (base === null) {
        results.push({
          ...common,
          name,
          kind,
          bound: null,
          passed: true,
          skipped: baseline ? `the baseline has no ${metric}` : 'no baseline to compare with',
        });
        continue;
      }
      const bound = base * (rise ? 1 + pct / 100 : 1 - pct / 100);
      results.push({
        ...common,
        ...missing,
        name,
        kind,
        bound,
        passed: value !== null && (rise ? value <= bound : value >= bound),
      });
    }
  }
  return { passed: results.every((r) => r.passed), gates: results };
}
