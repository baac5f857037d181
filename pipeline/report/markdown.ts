/**
 * reports/report.md: the verdict first, then metrics against the baseline,
 * the gates, the charts and the lineage. The same text is the PR comment and
 * the job summary.
 */
import { higherIsBetter } from '../config/metrics.js';
import { shortSha } from '../util/hash.js';
import type { Metadata } from '../model/metadata.js';
import type { ProductionBaseline } from '../production/baseline.js';
import { liveSince } from '../production/render.js';
import type { MetricsFile } from './metrics-file.js';
import { barChart, downsample, lineChart } from './mermaid.js';
import { renderModelIdentity, type ModelIdentity } from './sections/model-identity.js';

/** Marks the one report comment on a pull request, so it is updated, never repeated. */
export const REPORT_MARKER = '<!-- mlops-report -->';

export interface ReportSection {
  /** Names the section: its markers, so a later run replaces it, come from this. */
  title: string;
  /** The heading shown, when it says more than the title (a verdict, a revision). */
  heading?: string;
  /** The body, without a heading: the report gives every section exactly one. */
  markdown: string;
}

// Sections of other stages stand between the gates and the learning curve, each
// between markers of its own, and the end of them is marked too: a stage that
// runs after the report was written (the benchmark job) places its section with
// placeSection exactly where renderReport would have put it, replacing its own
// section of an earlier run, and leaves every other line as it was.
const SECTIONS_END = '<!-- mlops-sections -->';

function sectionMarkers(title: string): [start: string, end: string] {
  const id = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return [`<!-- mlops-section ${id} -->`, `<!-- /mlops-section ${id} -->`];
}

/** A section under its one heading, as the report shows it. */
export function renderSection(section: ReportSection): string {
  return `### ${section.heading ?? section.title}\n\n${section.markdown}`;
}

function sectionBlock(section: ReportSection): string {
  const [start, end] = sectionMarkers(section.title);
  return `${start}\n${renderSection(section)}\n${end}`;
}

/**
 * `report` with `section` where renderReport places sections: in place of a
 * section of the same title, else after the other sections. A report that
 * renderReport did not write gets it at the end; no report, the section alone.
 */
export function placeSection(report: string, section: ReportSection): string {
  const block = sectionBlock(section);
  const [start, end] = sectionMarkers(section.title);
  const from = report.indexOf(start);
  const to = report.indexOf(end, from);
  if (from >= 0 && to >= 0)
    return `${report.slice(0, from)}${block}${report.slice(to + end.length)}`;
  const slot = report.indexOf(SECTIONS_END);
  if (slot >= 0) return `${report.slice(0, slot)}${block}\n\n${report.slice(slot)}`;
  return report.trim() ? `${report.trimEnd()}\n\n${block}\n` : `${block}\n`;
}

export interface ReportInput {
  result: MetricsFile;
  metadata: Metadata;
  /** What the change gates compared with; from the production record, it names that record. */
  baseline?: ProductionBaseline;
  /** Sections other stages add: benchmark, data changes. */
  sections?: readonly ReportSection[];
  /** The model's bytes, named near the top so a deploy can match them. */
  identity?: ModelIdentity;
}

export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return x.toFixed(1);
  // A bound such as `max: 1e-6` must not read as 0.0000: keep two significant digits.
  if (x !== 0 && Math.abs(x) < 0.5 * 10 ** -digits) return String(Number(x.toPrecision(2)));
  return x.toFixed(digits);
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  return [
    row(header),
    align ?? row(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(row),
  ].join('\n');
}

function verdict(result: MetricsFile): string {
  if (result.passed === null) return `## ⚪ ${result.name}: gates not checked`;
  const failed = result.gates.filter((g) => !g.passed);
  if (!failed.length) return `## ✅ ${result.name}: all ${result.gates.length} gates passed`;
  return `## ❌ ${result.name}: ${failed.length} of ${result.gates.length} gates failed: ${failed.map((g) => `\`${g.name}\``).join(', ')}`;
}

function metricsSection(result: MetricsFile, baseline?: ReportInput['baseline']): string {
  const headline = Object.keys(result.metrics).filter((m) => !m.includes('.'));
  const rows = headline.map((name) => {
    const value = result.metrics[name]!;
    const base = baseline?.metrics[name];
    if (base === undefined) return [name, fmt(value), '–', '–'];
    const delta = value - base;
    const better = higherIsBetter(name) ? delta > 1e-12 : delta < -1e-12;
    const worse = higherIsBetter(name) ? delta < -1e-12 : delta > 1e-12;
    return [name, fmt(value), fmt(base), `${signed(delta)} ${better ? '🟢' : worse ? '🔴' : '⚪'}`];
  });
  return [
    `### Metrics (test split, ${result.rows} rows)`,
    '',
    table(['Metric', 'This model', 'Baseline', 'Δ'], rows),
    '',
    baselineNote(baseline),
  ].join('\n');
}

/** Which production the deltas are against, or that there is none. */
function baselineNote(baseline: ReportInput['baseline']): string {
  const production = baseline?.production;
  if (production)
    return `Compared with production \`${production.model_version}\` (weights \`${shortSha(production.weights_sha256)}\`), live since ${liveSince(production.at)} (${production.event}).`;
  if (baseline)
    return `Baseline: production model${baseline.model_version ? ` \`${baseline.model_version}\`` : ''}.`;
  return 'No production model yet: nothing to compare with; gates on changes are skipped.';
}

function gatesSection(result: MetricsFile): string {
  if (!result.gates.length) return '### Gates\n\nNo gates are configured in mlops.yaml.';
  const rows = result.gates.map((g) => [
    g.name,
    fmt(g.value),
    g.bound === null
      ? '–'
      : `${g.kind === 'min' || g.kind === 'max_drop' ? '≥' : '≤'} ${fmt(g.bound)}`,
    g.skipped ? `⚪ skipped (${g.skipped})` : g.passed ? '✅ pass' : '❌ fail',
  ]);
  return ['### Gates', '', table(['Gate', 'Value', 'Bound', 'Result'], rows)].join('\n');
}

function learningCurve(metadata: Metadata): string {
  const history = downsample(metadata.training.history, 40);
  if (!history.length) return '';
  const t = metadata.training;
  return [
    '### Learning curve',
    '',
    lineChart({
      title: 'Loss per epoch: training, then validation',
      xLabel: 'epoch',
      x: history.map((h) => h.epoch),
      yLabel: 'loss',
      lines: [{ values: history.map((h) => h.loss) }, { values: history.map((h) => h.val_loss) }],
    }),
    '',
    `Trained ${t.history.length} epochs${t.stopped_early ? ' (stopped early)' : ''}; kept the weights of epoch ${t.best_epoch} (validation loss ${fmt(t.history[t.best_epoch - 1]?.val_loss)}).`,
    '',
    '<details><summary>Loss per epoch</summary>',
    '',
    table(
      ['Epoch', 'Training loss', 'Validation loss'],
      t.history.map((h) => [String(h.epoch), fmt(h.loss), fmt(h.val_loss)]),
    ),
    '',
    '</details>',
  ].join('\n');
}

function confusionSection(result: MetricsFile): string {
  const { confusion, classes } = result;
  if (!confusion || !classes) return '';
  const matrix = table(
    ['true ↓ / predicted →', ...classes],
    confusion.map((r, i) => [classes[i]!, ...r.map((v, j) => (i === j ? `**${v}**` : String(v)))]),
  );
  const labels: string[] = [];
  const counts: number[] = [];
  confusion.forEach((r, i) =>
    r.forEach((v, j) => {
      labels.push(`${classes[i]}→${classes[j]}`);
      counts.push(v);
    }),
  );
  const perClass = table(
    ['Class', 'Precision', 'Recall'],
    classes.map((c) => [
      c,
      fmt(result.metrics[`precision.${c}`]),
      fmt(result.metrics[`recall.${c}`]),
    ]),
  );
  return [
    '### Confusion matrix',
    '',
    matrix,
    '',
    barChart({
      title: 'Test rows by true → predicted class',
      x: labels,
      yLabel: 'rows',
      values: counts,
    }),
    '',
    perClass,
  ].join('\n');
}

function trialsSection(metadata: Metadata): string {
  const trials = metadata.training.trials;
  if (!trials.length) return '';
  const best = metadata.params;
  const keys = Object.keys(trials[0]!.params);
  const rows = trials.map((t) => {
    const isBest = keys.every((k) => JSON.stringify(t.params[k]) === JSON.stringify(best[k]));
    return [
      String(t.trial),
      ...keys.map((k) => JSON.stringify(t.params[k])),
      fmt(t.score),
      String(t.best_epoch),
      isBest ? '⭐ kept' : '',
    ];
  });
  return [
    `### Search (${trials.length} trials, ${trials[0]!.metric} on the validation split)`,
    '',
    table(['Trial', ...keys, trials[0]!.metric, 'Best epoch', ''], rows),
  ].join('\n');
}

function dataSection(metadata: Metadata): string {
  const r = metadata.training.rows;
  const data = metadata.data;
  const lines = [
    '### Data',
    '',
    `\`${data.path}\` (md5 \`${metadata.lineage.data_md5.slice(0, 12)}\`): ${data.rows_read} rows read, ${r.train} train / ${r.validation} validation / ${r.test} test.`,
  ];
  if (data.unlabelled_rows)
    lines.push(`${data.unlabelled_rows} rows without a target were left out.`);
  if (data.dropped_rows)
    lines.push(`${data.dropped_rows} rows broke the data contract and were dropped:`);
  for (const v of data.violations) lines.push(`- ${v}`);
  return lines.join('\n');
}

/** What computed the gradients, as the lineage records it (older models do not say). */
function trainedBy(l: Metadata['lineage']): string {
  if (l.trainer === 'dense') return `the dense engine (${l.kernel ?? 'kernel not recorded'})`;
  if (l.trainer === 'tfjs')
    return `TensorFlow.js model.fit (${l.backend})${l.model_files?.length ? `, model ${l.model_files.map((f) => `\`${f}\``).join(', ')}` : ''}`;
  // A trainer of the team's own: its kind, on the tfjs backend it ran on.
  if (l.trainer)
    return `the trainer ${l.trainer} on TensorFlow.js (${l.backend})${l.model_files?.length ? `, ${l.model_files.map((f) => `\`${f}\``).join(', ')}` : ''}`;
  return 'not recorded';
}

/** Short form for the summary line: `dense (wasm-simd)`, `tfjs (wasm)`. */
function engine(l: Metadata['lineage']): string {
  if (l.trainer === 'dense') return `\`dense (${l.kernel ?? '?'})\``;
  if (l.trainer === 'tfjs') return `\`tfjs (${l.backend})\``;
  if (l.trainer) return `\`${l.trainer}\` on \`tfjs (${l.backend})\``;
  return `backend \`${l.backend}\``;
}

function lineageSection(metadata: Metadata): string {
  const l = metadata.lineage;
  const rows = [
    ['Model version', `\`${metadata.model_version}\``],
    [
      'Git commit',
      l.git_commit
        ? `\`${l.git_commit.slice(0, 12)}\`${l.git_dirty ? ' (with uncommitted changes)' : ''}`
        : '–',
    ],
    ['Data', `\`${l.data_path}\` md5 \`${l.data_md5}\``],
    ['Config hash', `\`${l.config_hash.slice(0, 12)}\``],
    ['Training code hash', `\`${l.code_hash}\``],
    ['Trained by', trainedBy(l)],
    [
      'Saved with',
      `TensorFlow.js ${l.tfjs_version} (${l.backend} backend), Node ${l.node_version}`,
    ],
    ['Seed', String(l.seed)],
    ['Parameters', `\`${JSON.stringify(metadata.params)}\``],
    [
      'Timings',
      Object.entries(l.timings)
        .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
        .join(', '),
    ],
  ];
  return [
    '<details><summary>Lineage</summary>',
    '',
    table(['', ''], rows, '|---|---|'),
    '',
    '</details>',
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  const { result, metadata } = input;
  const t = metadata.training;
  const summary = `**Model** \`${result.model_version}\` · ${result.task} · ${t.rows.train + t.rows.validation + t.rows.test} rows · trained by ${engine(metadata.lineage)} in ${t.seconds.toFixed(1)} s (${Math.round(t.samples_per_second).toLocaleString('en-US')} samples/s)`;
  const parts = [
    REPORT_MARKER,
    verdict(result),
    summary,
    input.identity && renderModelIdentity(input.identity),
    metricsSection(result, input.baseline),
    gatesSection(result),
    ...(input.sections ?? []).map(sectionBlock),
    SECTIONS_END,
    learningCurve(metadata),
    confusionSection(result),
    trialsSection(metadata),
    dataSection(metadata),
    lineageSection(metadata),
  ];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}
