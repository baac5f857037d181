/** Mermaid `xychart-beta` charts: GitHub renders them in comments with no image hosting. */

export interface Series {
  values: readonly number[];
}

function quote(text: string): string {
  return `"${text.replaceAll('"', "'")}"`;
}

function num(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : '0';
}

/** Keep at most `max` evenly spaced points (always the last), so long curves stay legible. */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)]!);
}

export function lineChart(options: {
  title: string;
  xLabel: string;
  x: readonly (string | number)[];
  yLabel: string;
  lines: readonly Series[];
}): string {
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quote(options.title)}`,
    `  x-axis ${quote(options.xLabel)} [${options.x.map((v) => quote(String(v))).join(', ')}]`,
    `  y-axis ${quote(options.yLabel)}`,
    ...options.lines.map((s) => `  line [${s.values.map(num).join(', ')}]`),
    '```',
  ].join('\n');
}

export function barChart(options: {
  title: string;
  x: readonly string[];
  yLabel: string;
  values: readonly number[];
}): string {
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quote(options.title)}`,
    `  x-axis [${options.x.map(quote).join(', ')}]`,
    `  y-axis ${quote(options.yLabel)}`,
    `  bar [${options.values.map(num).join(', ')}]`,
    '```',
  ].join('\n');
}
