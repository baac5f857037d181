import { describe, expect, it } from 'vitest';
import { checkBenchGates } from '../../pipeline/bench/gate.js';
import { PipelineError } from '../../pipeline/errors.js';
import { boundsOf, checkBound, meets, type Bound } from '../../pipeline/gate/bound.js';
import { failOnGates } from '../../pipeline/gate/fail.js';
import { checkGates } from '../../pipeline/gate/gate.js';

const change = (type: 'max_drop' | 'max_rise', limit: number, percent = false): Bound => ({
  metric: 'm',
  kind: type,
  type,
  limit,
  percent,
});

describe('checkBound', () => {
  it('bounds an absolute change: the baseline minus the allowed drop, plus the allowed rise', () => {
    const drop = change('max_drop', 0.5);
    expect(checkBound(drop, { m: 2.6 }, { m: 3 })).toMatchObject({
      name: 'm drops at most 0.5 vs baseline',
      bound: 2.5,
      baseline: 3,
      passed: true,
    });
    expect(checkBound(drop, { m: 2.4 }, { m: 3 }).passed).toBe(false);
    const rise = change('max_rise', 0.5);
    expect(checkBound(rise, { m: 3.5 }, { m: 3 })).toMatchObject({ bound: 3.5, passed: true });
    expect(checkBound(rise, { m: 3.6 }, { m: 3 }).passed).toBe(false);
  });

  it('bounds a percent change in proportion to the baseline', () => {
    const drop = change('max_drop', 10, true);
    expect(checkBound(drop, { m: 180 }, { m: 200 })).toMatchObject({
      name: 'm drops at most 10% vs baseline',
      bound: 180,
      passed: true,
    });
    expect(checkBound(drop, { m: 179 }, { m: 200 }).passed).toBe(false);
    const rise = change('max_rise', 50, true);
    expect(checkBound(rise, { m: 3 }, { m: 2 })).toMatchObject({ bound: 3, passed: true });
    expect(checkBound(rise, { m: 3.01 }, { m: 2 }).passed).toBe(false);
    // The same limit read as an amount is another bound altogether.
    expect(checkBound(change('max_rise', 50), { m: 3.01 }, { m: 2 }).passed).toBe(true);
  });

  it('skips a change bound without a baseline, saying why, and counts it as passed', () => {
    for (const percent of [false, true]) {
      const rise = change('max_rise', 5, percent);
      expect(checkBound(rise, { m: 1000 })).toMatchObject({
        bound: null,
        passed: true,
        skipped: 'no baseline to compare with',
      });
      expect(checkBound(rise, { m: 1000 }, { other: 1 })).toMatchObject({
        passed: true,
        skipped: 'the baseline has no m',
      });
    }
  });

  it('fails a bound on a value the run does not have', () => {
    expect(checkBound({ metric: 'm', kind: 'min', type: 'min', limit: 0 }, {})).toMatchObject({
      name: 'm >= 0',
      value: null,
      passed: false,
    });
    expect(checkBound(change('max_drop', 1), {}, { m: 3 }).passed).toBe(false);
  });
});

describe('meets', () => {
  it('forgives a difference relative to the numbers compared, with a floor near zero', () => {
    expect(meets(1e6 + 1e-4, 'max', 1e6)).toBe(true);
    expect(meets(1e6 + 1e-2, 'max', 1e6)).toBe(false);
    expect(meets(1e-10, 'max', 0)).toBe(true);
    expect(meets(-1e-8, 'min', 0)).toBe(false);
  });
});

describe('boundsOf', () => {
  it('reads the bounds of a gates config metric by metric, in the order of the kinds', () => {
    const bounds = boundsOf(
      { a: { max_up: 2, floor: 1 }, b: { floor: 0 } },
      { floor: { type: 'min' }, max_up: { type: 'max_rise', percent: true } },
    );
    expect(bounds).toEqual([
      { metric: 'a', kind: 'floor', type: 'min', limit: 1 },
      { metric: 'a', kind: 'max_up', type: 'max_rise', percent: true, limit: 2 },
      { metric: 'b', kind: 'floor', type: 'min', limit: 0 },
    ]);
  });
});

describe('failOnGates', () => {
  it('ends a model or benchmark stage with a gate error naming each failed gate', () => {
    const model = checkGates({ accuracy: { min: 0.9 }, log_loss: { max: 0.3 } }, { accuracy: 0.5 });
    const bench = checkBenchGates({ model_size_kb: { max: 1 } }, { model_size_kb: 12 });
    const error = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const modelError = error(() => failOnGates(model));
    expect(modelError).toBeInstanceOf(PipelineError);
    expect(modelError).toMatchObject({
      code: 'gate',
      message: '2 gates failed: accuracy >= 0.9; log_loss <= 0.3',
    });
    expect(error(() => failOnGates(bench, 'benchmark gate'))).toMatchObject({
      code: 'gate',
      message: '1 benchmark gate failed: model_size_kb <= 1',
    });
  });

  it('lets a result pass whose gates passed or were not checked', () => {
    expect(() =>
      failOnGates(checkGates({ accuracy: { min: 0.9 } }, { accuracy: 1 })),
    ).not.toThrow();
    expect(() => failOnGates({ passed: null, gates: [] })).not.toThrow();
  });
});
