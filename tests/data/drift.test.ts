import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { categoricalPsi, ksTwoSample, numericPsi } from '../../pipeline/data/diff/drift.js';

function normal(n: number, mean: number, seed: string): Float64Array {
  const random = seedrandom.alea(seed);
  return Float64Array.from({ length: n }, () => {
    const u = 1 - random();
    const v = random();
    return mean + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

describe('drift measures', () => {
  it('categorical PSI is Σ (a − e) ln(a / e) over the categories', () => {
    const base = [...Array(50).fill('a'), ...Array(50).fill('b')];
    const current = [...Array(75).fill('a'), ...Array(25).fill('b')];
    // (0.75 − 0.5) ln 1.5 + (0.25 − 0.5) ln 0.5
    expect(categoricalPsi(base, current)).toBeCloseTo(
      0.25 * Math.log(1.5) + 0.25 * Math.log(2),
      12,
    );
    expect(categoricalPsi(base, base)).toBe(0);
  });

  it('a category that appears from nowhere counts, with an empty-bin share instead of infinity', () => {
    const psi = categoricalPsi(['a', 'a', 'b', 'b'], ['a', 'b', 'c', 'c']);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(1);
  });

  it('numeric PSI and KS see no drift between two samples of one distribution', () => {
    const a = normal(3000, 0, 'a');
    const b = normal(3000, 0, 'b');
    expect(numericPsi(a, b)).toBeLessThan(0.05);
    expect(ksTwoSample(a, b).pValue).toBeGreaterThan(0.05);
  });

  it('numeric PSI and KS flag a shift of one standard deviation', () => {
    const a = normal(3000, 0, 'a');
    const b = normal(3000, 1, 'b');
    expect(numericPsi(a, b)).toBeGreaterThan(0.2);
    const ks = ksTwoSample(a, b);
    expect(ks.statistic).toBeGreaterThan(0.3);
    expect(ks.pValue).toBeLessThan(1e-10);
  });

  it('KS statistic is the largest gap between the empirical CDFs, and missing values are ignored', () => {
    // CDF gaps of [1,2,3,4] vs [3,4,5,6] peak at x = 2: 0.5 − 0 = 0.5.
    const ks = ksTwoSample([1, 2, 3, 4, NaN], [3, 4, 5, 6]);
    expect(ks.statistic).toBe(0.5);
    expect(ks.pValue).toBeGreaterThan(0.05);
    expect(ksTwoSample([1, 2], [3, 4]).statistic).toBe(1);
  });
});
