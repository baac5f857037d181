import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmt, REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { MetricsFileSchema } from '../../pipeline/report/metrics-file.js';
import { runPipeline, type RunResult } from '../../pipeline/run/run.js';
import { penguinsProject, type TempProject } from '../helpers/project.js';

let project: TempProject;
let run: RunResult;
const BASELINE = {
  model_version: 'abc123def456',
  metrics: { accuracy: 0.9, macro_f1: 1, log_loss: 0.5 },
};

beforeAll(async () => {
  project = await penguinsProject();
  await project.write('baseline.json', JSON.stringify(BASELINE));
  run = await runPipeline({
    config: project.path('mlops.yaml'),
    baseline: project.path('baseline.json'),
  });
});
afterAll(() => project.remove());

/** The lines of the fenced mermaid blocks of a report. */
function mermaidBlocks(markdown: string): string[][] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!.trim().split('\n'));
}

describe('report', () => {
  it('starts with the marker and the verdict', async () => {
    const report = await project.read('reports/report.md');
    expect(report).toBe(run.report);
    const lines = report.split('\n');
    expect(lines[0]).toBe(REPORT_MARKER);
    expect(lines[2]).toBe('## ✅ penguins-species: all 4 gates passed');
  });

  it('tables the metrics against the baseline with the delta and its direction', () => {
    const m = run.result.metrics;
    expect(run.report).toContain('| Metric | This model | Baseline | Δ |');
    expect(run.report).toContain(
      `| accuracy | ${fmt(m['accuracy'])} | 0.9000 | +${fmt(m['accuracy']! - 0.9)} 🟢 |`,
    );
    // Lower log loss is better: a fall is green.
    expect(run.report).toContain(
      `| log_loss | ${fmt(m['log_loss'])} | 0.5000 | −${fmt(0.5 - m['log_loss']!)} 🟢 |`,
    );
    expect(run.report).toContain('Baseline: production model `abc123def456`.');
    // Per-class metrics stay out of the headline table.
    expect(run.report).not.toMatch(/^\| precision\.Adelie \|/m);
  });

  it('lists every gate with its value, bound and result', () => {
    expect(run.report).toContain('| Gate | Value | Bound | Result |');
    for (const g of run.result.gates)
      expect(run.report).toContain(`| ${g.name} | ${fmt(g.value)} |`);
    expect(run.report).toContain('| accuracy drops at most 0.02 vs baseline | ');
    expect(run.report).toContain('| ≥ 0.8800 | ✅ pass |');
  });

  it('draws the learning curve as a mermaid xychart with both losses', async () => {
    const metadata = await project.readJson<{ training: { history: unknown[] } }>(
      'artifacts/model/metadata.json',
    );
    const epochs = Math.min(metadata.training.history.length, 40);
    const curve = mermaidBlocks(run.report).find((b) =>
      b.some((l) => l.includes('Loss per epoch')),
    );
    expect(curve?.[0]).toBe('xychart-beta');
    const lines = curve!.filter((l) => l.trim().startsWith('line ['));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.split(',')).toHaveLength(epochs);
    expect(curve!.find((l) => l.trim().startsWith('x-axis'))).toContain('"epoch" ["1", ');
  });

  it('shows the confusion matrix of the test split, as a table and a chart', () => {
    expect(run.report).toContain('### Confusion matrix');
    expect(run.report).toContain('| true ↓ / predicted → | Adelie | Chinstrap | Gentoo |');
    const confusion = run.result.confusion!;
    const firstRow = confusion[0]!.map((v, j) => (j === 0 ? `**${v}**` : String(v)));
    expect(run.report).toContain(`| Adelie | ${firstRow.join(' | ')} |`);
    const bars = mermaidBlocks(run.report).find((b) =>
      b.some((l) => l.includes('true → predicted')),
    );
    expect(bars?.find((l) => l.trim().startsWith('bar ['))).toBe(
      `  bar [${confusion.flat().join(', ')}]`,
    );
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(run.result.rows);
  });

  it('writes metrics.json with the gates and the baseline it was compared with', async () => {
    const file = MetricsFileSchema.parse(await project.readJson('reports/metrics.json'));
    expect(file).toEqual(run.result);
    expect(file.passed).toBe(true);
    expect(file.baseline).toEqual({
      model_version: 'abc123def456',
      path: project.path('baseline.json'),
    });
    expect(file.metrics['accuracy']).toBeGreaterThanOrEqual(0.95);
  });

  it('names the failed gate in the verdict and marks it in the gates table', async () => {
    const failed = await runPipeline({
      config: project.path('mlops.yaml'),
      overrides: ['gates.log_loss.max=1e-9'],
    });
    expect(failed.result.passed).toBe(false);
    const report = await project.read('reports/report.md');
    expect(report.split('\n')[2]).toBe(
      '## ❌ penguins-species: 1 of 4 gates failed: `log_loss <= 1e-9`',
    );
    expect(report).toMatch(/^\| log_loss <= 1e-9 \| .* \| ≤ 1e-9 \| ❌ fail \|$/m);
    expect(report).toContain('No production model yet: nothing to compare with');
  });

  it('tables the trials of a search and marks the one kept', async () => {
    const searched = await runPipeline({
      config: project.path('mlops.yaml'),
      overrides: ['model.epochs=5', 'search.space.learning_rate=[0.001, 0.05]'],
    });
    expect(searched.report).toContain('### Search (2 trials, val_loss on the validation split)');
    expect(searched.report.match(/⭐ kept/g)).toHaveLength(1);
  });
});

describe('fmt', () => {
  it('shows four decimals (an accuracy of 1 as 1.0000), large values with one, and tiny values without rounding them to 0', () => {
    expect(fmt(0.95)).toBe('0.9500');
    expect(fmt(1)).toBe('1.0000');
    expect(fmt(12345.678)).toBe('12345.7');
    expect(fmt(0)).toBe('0.0000');
    expect(fmt(1e-9)).toBe('1e-9');
    expect(fmt(0.0000123)).toBe('0.000012');
    expect(fmt(null)).toBe('–');
  });
});
