/**
 * Drift of one feature between a base and a current sample: the population
 * stability index (numeric: ten bins at the base's deciles; categorical: one bin
 * per category) and, for numbers, the two-sample Kolmogorov–Smirnov test.
 * Written here because no maintained JavaScript package offers the two-sample
 * KS test or PSI; the formulas are the textbook ones (KS p-value: the asymptotic
 * Kolmogorov distribution with Stephens' small-sample correction, as in
 * Numerical Recipes' kstwo).
 */

/** Share given to an empty bin so PSI stays finite (the usual convention). */
const EMPTY_SHARE = 1e-4;

/** PSI of two tallies over the same bins (the server's live window uses it too). */
export function psiFromCounts(base: readonly number[], current: readonly number[]): number {
  const nb = base.reduce((a, b) => a + b, 0);
  const nc = current.reduce((a, b) => a + b, 0);
  if (!nb || !nc) return NaN;
  let psi = 0;
  for (let i = 0; i < base.length; i++) {
    const e = Math.max(base[i]! / nb, EMPTY_SHARE);
    const a = Math.max(current[i]! / nc, EMPTY_SHARE);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function finiteSorted(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) out.push(values[i]!);
  return Float64Array.from(out).sort();
}

/** Index of the first element greater than x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The bin edges PSI uses for a numeric feature: the base's deciles (for
 * `bins` = 10), duplicates merged. Bin i holds the values in (edges[i-1], edges[i]].
 */
export function numericBinEdges(base: ArrayLike<number>, bins = 10): number[] {
  const b = finiteSorted(base);
  if (!b.length) return [];
  return [
    ...new Set(
      Array.from({ length: bins - 1 }, (_, i) => b[Math.floor(((i + 1) * b.length) / bins)]!),
    ),
  ];
}

/** How many finite values fall in each bin of `edges` (edges.length + 1 bins). */
export function numericBinCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const s = finiteSorted(values);
  const counts = new Array<number>(edges.length + 1).fill(0);
  let prev = 0;
  edges.forEach((edge, i) => {
    const at = upperBound(s, edge);
    counts[i] = at - prev;
    prev = at;
  });
  counts[edges.length] = s.length - prev;
  return counts;
}

export function numericPsi(base: ArrayLike<number>, current: ArrayLike<number>, bins = 10): number {
  const edges = numericBinEdges(base, bins);
  return psiFromCounts(numericBinCounts(base, edges), numericBinCounts(current, edges));
}

export function categoricalPsi(
  base: readonly (string | null)[],
  current: readonly (string | null)[],
): number {
  const tally = (xs: readonly (string | null)[]) => {
    const m = new Map<string, number>();
    for (const x of xs) if (x !== null) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const b = tally(base);
  const c = tally(current);
  const keys = [...new Set([...b.keys(), ...c.keys()])].sort();
  return psiFromCounts(
    keys.map((k) => b.get(k) ?? 0),
    keys.map((k) => c.get(k) ?? 0),
  );
}

/** Q_KS(λ) = 2 Σ (-1)^(j-1) exp(-2 j² λ²): the Kolmogorov distribution's tail. */
function kolmogorovTail(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  let previous = 0;
  for (let j = 1; j <= 100; j++) {
    const term = sign * 2 * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) <= 1e-10 * Math.abs(previous) || Math.abs(term) <= 1e-16 * sum)
      return Math.min(1, Math.max(0, sum));
    sign = -sign;
    previous = term;
  }
  return 1; // did not converge: only for tiny λ, where the tail is 1
}

export interface KsResult {
  statistic: number;
  pValue: number;
}

export function ksTwoSample(base: ArrayLike<number>, current: ArrayLike<number>): KsResult {
  const a = finiteSorted(base);
  const b = finiteSorted(current);
  if (!a.length || !b.length) return { statistic: NaN, pValue: NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  const ne = Math.sqrt((a.length * b.length) / (a.length + b.length));
  return { statistic: d, pValue: kolmogorovTail((ne + 0.12 + 0.11 / ne) * d) };
}
