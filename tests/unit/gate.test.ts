import { describe, expect, it } from 'vitest';
import { checkBenchGates } from '../../pipeline/bench/gate.js';
import { checkGates } from '../../pipeline/gate/gate.js';

describe('gate', () => {
  it('min and max pass inside their bounds and fail outside, naming the gate', () => {
    const gates = { accuracy: { min: 0.95 }, log_loss: { max: 0.3 } };
    const ok = checkGates(gates, { accuracy: 0.97, log_loss: 0.1 });
    expect(ok.passed).toBe(true);
    expect(ok.gates.map((g) => [g.name, g.kind, g.bound, g.passed])).toEqual([
      ['accuracy >= 0.95', 'min', 0.95, true],
      ['log_loss <= 0.3', 'max', 0.3, true],
    ]);
    const bad = checkGates(gates, { accuracy: 0.94, log_loss: 0.31 });
    expect(bad.passed).toBe(false);
    expect(bad.gates.filter((g) => !g.passed).map((g) => g.name)).toEqual([
      'accuracy >= 0.95',
      'log_loss <= 0.3',
    ]);
  });

  it('counts a value on the bound as inside it, floating-point noise included', () => {
    const gates = { accuracy: { min: 0.95, max: 0.95 } };
    expect(checkGates(gates, { accuracy: 0.95 }).passed).toBe(true);
    // 0.1 + 0.2 style arithmetic lands a hair away from the bound.
    expect(checkGates(gates, { accuracy: 0.95 - 1e-12 }).passed).toBe(true);
    expect(checkGates(gates, { accuracy: 0.95 + 1e-12 }).passed).toBe(true);
    expect(checkGates(gates, { accuracy: 0.9499 }).passed).toBe(false);
  });

  it('fails a gate on a metric the model did not report', () => {
    const outcome = checkGates({ 'recall.Gentoo': { min: 0.9 } }, { accuracy: 1 });
    expect(outcome.passed).toBe(false);
    expect(outcome.gates[0]).toMatchObject({ metric: 'recall.Gentoo', value: null, passed: false });
  });

  it('max_drop holds the metric to the baseline minus the allowed drop', () => {
    const gates = { accuracy: { max_drop: 0.02 } };
    const base = { accuracy: 0.98 };
    const within = checkGates(gates, { accuracy: 0.965 }, base);
    expect(within.passed).toBe(true);
    expect(within.gates[0]).toMatchObject({
      name: 'accuracy drops at most 0.02 vs baseline',
      kind: 'max_drop',
      baseline: 0.98,
      allowed: 0.02,
      bound: expect.closeTo(0.96, 12),
      delta: expect.closeTo(-0.015, 12),
    });
    expect(checkGates(gates, { accuracy: 0.98 - 0.02 }, base).passed).toBe(true);
    const dropped = checkGates(gates, { accuracy: 0.95 }, base);
    expect(dropped.passed).toBe(false);
    expect(dropped.gates[0]!.delta).toBeCloseTo(-0.03, 12);
    // A better model never trips a drop gate.
    expect(checkGates(gates, { accuracy: 1 }, base).passed).toBe(true);
  });

  it('max_rise holds the metric to the baseline plus the allowed rise', () => {
    const gates = { rmse: { max: 4, max_rise: 0.5 } };
    const base = { rmse: 3 };
    const within = checkGates(gates, { rmse: 3.4 }, base);
    expect(within.passed).toBe(true);
    expect(within.gates.map((g) => g.name)).toEqual([
      'rmse <= 4',
      'rmse rises at most 0.5 vs baseline',
    ]);
    expect(within.gates[1]).toMatchObject({ bound: 3.5, baseline: 3 });
    const rose = checkGates(gates, { rmse: 3.6 }, base);
    expect(rose.passed).toBe(false);
    expect(rose.gates.map((g) => g.passed)).toEqual([true, false]);
  });

  it('skips change gates without a baseline, and says why', () => {
    const gates = { accuracy: { min: 0.9, max_drop: 0.02 }, rmse: { max_rise: 0.1 } };
    const none = checkGates(gates, { accuracy: 0.5 });
    expect(none.passed).toBe(false); // the min gate still applies
    expect(none.gates.map((g) => [g.kind, g.passed, g.skipped])).toEqual([
      ['min', false, undefined],
      ['max_drop', true, 'no baseline to compare with'],
      ['max_rise', true, 'no baseline to compare with'],
    ]);
    const partial = checkGates(gates, { accuracy: 0.95, rmse: 1 }, { accuracy: 0.96 });
    expect(partial.gates[2]).toMatchObject({ passed: true, skipped: 'the baseline has no rmse' });
    expect(partial.gates[1]).toMatchObject({ passed: true, delta: expect.closeTo(-0.01, 12) });
    expect(partial.gates[1]!.skipped).toBeUndefined();
  });

  it('passes when no gates are configured', () => {
    expect(checkGates({}, { accuracy: 0 })).toEqual({ passed: true, gates: [] });
  });
});

describe('model gates and benchmark gates hold values to their bounds alike', () => {
  // 0.1 + 0.2 is 0.30000000000000004 and 0.7 - 0.4 is 0.29999999999999993: on the bound 0.3 in decimal.
  const above = 0.1 + 0.2;
  const below = 0.7 - 0.4;

  it('passes a value equal to its bound within floating-point noise, for both kinds', () => {
    for (const [min, max] of [
      [below, above],
      [above, below],
    ] as const) {
      expect(checkGates({ m: { min: 0.3 } }, { m: min }).passed).toBe(true);
      expect(checkGates({ m: { max: 0.3 } }, { m: max }).passed).toBe(true);
      expect(checkBenchGates({ single_p99_ms: { min: 0.3 } }, { single_p99_ms: min }).passed).toBe(
        true,
      );
      expect(checkBenchGates({ single_p99_ms: { max: 0.3 } }, { single_p99_ms: max }).passed).toBe(
        true,
      );
    }
  });

  it('passes a change of exactly the allowed percent, which float arithmetic puts a hair past the bound', () => {
    // 13 × (1 − 10/100) is 11.700000000000001; a drop to 11.7 is a drop of 10% to the letter.
    const outcome = checkBenchGates(
      { batch_rows_per_s: { max_drop_pct: 10 } },
      { batch_rows_per_s: 11.7 },
      { batch_rows_per_s: 13 },
    );
    expect(outcome.gates[0]).toMatchObject({ bound: 11.700000000000001, passed: true });
  });

  it('fails a value past its bound by more than noise, for both kinds', () => {
    expect(checkGates({ m: { max: 0.3 } }, { m: 0.3 + 1e-6 }).passed).toBe(false);
    expect(
      checkBenchGates({ single_p99_ms: { max: 0.3 } }, { single_p99_ms: 0.3 + 1e-6 }).passed,
    ).toBe(false);
    // The slack scales with the numbers: at 10^6 rows/s it is a thousandth of a row per second.
    const fast = { batch_rows_per_s: { min: 1_000_000 } };
    expect(checkBenchGates(fast, { batch_rows_per_s: 1_000_000 - 1e-4 }).passed).toBe(true);
    expect(checkBenchGates(fast, { batch_rows_per_s: 999_999 }).passed).toBe(false);
  });
});
