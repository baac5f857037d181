/** Markdown tables of benchmark results. */
export { median } from '../../pipeline/bench/stats.js';

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
  ].join('\n');
}

export const int = (x: number) => Math.round(x).toLocaleString('en-US');
export const num = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

/** Runs per measurement from `--runs N` (default `fallback`). */
export function runsArg(fallback: number): number {
  const i = process.argv.indexOf('--runs');
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error('--runs expects a positive integer');
  return n;
}
