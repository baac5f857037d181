/**
 * The bundled pipeline run as a user runs it: `npm run pipeline` (node bin/mlops.js
 * run) in a copy of the repository's mlops.yaml, data.dvc and data/, then the
 * model used with `mlops predict` and held to gates with `mlops gate`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsFileSchema, type MetricsFile } from '../../pipeline/report/metrics-file.js';
import {
  MLOPS_BIN,
  penguinRows,
  penguinsProject,
  REPO,
  runMlops,
  type CliResult,
  type TempProject,
} from '../helpers/project.js';

let project: TempProject;
let first: CliResult;
let firstMetrics: MetricsFile;

async function metrics(): Promise<MetricsFile> {
  return MetricsFileSchema.parse(await project.readJson('reports/metrics.json'));
}

/** The arguments of the `pipeline` npm script after `node bin/mlops.js`. */
async function pipelineScriptArgs(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [node, bin, ...args] = pkg.scripts['pipeline']!.split(' ');
  expect([node, join(REPO, bin!)]).toEqual(['node', MLOPS_BIN]);
  return args;
}

beforeAll(async () => {
  project = await penguinsProject();
  first = await runMlops(await pipelineScriptArgs(), { cwd: project.dir });
  firstMetrics = await metrics();
});
afterAll(() => project.remove());

describe('mlops run (npm run pipeline)', () => {
  it('trains, evaluates, gates and reports the penguins, exit 0', async () => {
    expect(first.stderr).toContain('data     data/penguins.json: 344 rows');
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^train {4}training mlp on \d+ rows \(backend \w+\)$/m);
    expect(first.stderr).toMatch(/^evaluate test split, \d+ rows: accuracy /m);
    expect(first.stderr).toContain('gate     ✅ accuracy >= 0.95');
    expect(first.stderr).toContain(
      'report   reports/report.md (metrics in reports/metrics.json, model ',
    );
    expect(await project.exists('reports/report.md')).toBe(true);
    expect(await project.exists('artifacts/model/model.json')).toBe(true);
    expect(await project.exists('artifacts/model/weights.bin')).toBe(true);
    expect(firstMetrics.passed).toBe(true);
    expect(firstMetrics.metrics['accuracy']).toBeGreaterThanOrEqual(0.95);
  });

  it('gives identical metrics on a second run, and on a forced retrain', async () => {
    const second = await runMlops(['run'], { cwd: project.dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('training skipped');
    expect((await metrics()).metrics).toEqual(firstMetrics.metrics);
    const forced = await runMlops(['run', '--force'], { cwd: project.dir });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('training mlp on');
    const again = await metrics();
    expect(again.metrics).toEqual(firstMetrics.metrics);
    expect(again.confusion).toEqual(firstMetrics.confusion);
    expect(again.model_version).toBe(firstMetrics.model_version);
  });
});

describe('mlops predict', () => {
  it('answers JSON predictions for the rows of a file', async () => {
    const rows = (await penguinRows()).slice(0, 3).map((r) => {
      const features = { ...r };
      delete features['Species'];
      return features;
    });
    await project.write('rows.json', JSON.stringify(rows));
    const result = await runMlops(['predict', '--input', 'rows.json'], { cwd: project.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      model_version: string;
      predictions: { label: string; probabilities: Record<string, number> }[];
    };
    expect(answer.model_version).toBe(firstMetrics.model_version);
    expect(answer.predictions).toHaveLength(3);
    // The first rows of the file are Adelie penguins.
    expect(answer.predictions.map((p) => p.label)).toEqual(['Adelie', 'Adelie', 'Adelie']);
    expect(Object.keys(answer.predictions[0]!.probabilities)).toEqual([
      'Adelie',
      'Chinstrap',
      'Gentoo',
    ]);
    // The same into a file with --output.
    const written = await runMlops(['predict', '-i', 'rows.json', '-o', 'out/p.json'], {
      cwd: project.dir,
    });
    expect(written.code).toBe(0);
    expect(await project.readJson('out/p.json')).toEqual(answer);
  });

  it('names the bad rows and fields, exit 2, nothing on stdout', async () => {
    await project.write(
      'bad.json',
      JSON.stringify([
        { Island: 'Dream', 'Beak Length (mm)': 40, 'Body Mass (g)': 3600, Sex: 'MALE' },
        { Island: 'Dream', 'Beak Length (mm)': 'long', Colour: 'black' },
      ]),
    );
    const result = await runMlops(['predict', '--input', 'bad.json'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error: bad.json: 2 invalid values:');
    expect(result.stderr).toContain('row 2, "Colour": unknown field');
    expect(result.stderr).toContain('row 2, "Beak Length (mm)": expected a number, got "long"');
  });

  it('refuses input that is not JSON rows, exit 2', async () => {
    await project.write('text.json', 'Island=Dream');
    const notJson = await runMlops(['predict', '-i', 'text.json'], { cwd: project.dir });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('error: text.json: not valid JSON');
  });
});

describe('mlops gate', () => {
  it('exits 1 when a bound is violated and names the gate, in the output and the report', async () => {
    const gate = await runMlops(['gate', '--set', 'gates.log_loss.max=1e-9'], { cwd: project.dir });
    expect(gate.code).toBe(1);
    expect(gate.stderr).toContain('gate     ❌ log_loss <= 1e-9');
    expect(gate.stderr).toContain('failed: 1 gate failed: log_loss <= 1e-9');
    const gated = await metrics();
    expect(gated.passed).toBe(false);
    expect(gated.gates.find((g) => !g.passed)?.name).toBe('log_loss <= 1e-9');
    const report = await runMlops(['report'], { cwd: project.dir });
    expect(report.code).toBe(0);
    expect(await project.read('reports/report.md')).toContain(
      '## ❌ penguins-species: 1 of 4 gates failed: `log_loss <= 1e-9`',
    );
  });

  it('holds change gates to a baseline: a drop past max_drop fails, exit 1', async () => {
    const accuracy = firstMetrics.metrics['accuracy']!;
    await project.write(
      'baseline.json',
      JSON.stringify({ metrics: { accuracy: accuracy + 0.05 } }),
    );
    const gate = await runMlops(['gate', '--baseline', 'baseline.json'], { cwd: project.dir });
    expect(gate.code).toBe(1);
    expect(gate.stderr).toContain('❌ accuracy drops at most 0.02 vs baseline');
    await project.write(
      'baseline.json',
      JSON.stringify({ metrics: { accuracy: accuracy + 0.01 } }),
    );
    const ok = await runMlops(['gate', '--baseline', 'baseline.json'], { cwd: project.dir });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('✅ accuracy drops at most 0.02 vs baseline');
  });

  it('exits 1 from mlops run when a gate fails, after writing the report that names it', async () => {
    const run = await runMlops(['run', '-q', '--set', 'gates.macro_f1.min=1.01'], {
      cwd: project.dir,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed: 1 gate failed: macro_f1 >= 1.01');
    expect(await project.read('reports/report.md')).toContain(
      '1 of 4 gates failed: `macro_f1 >= 1.01`',
    );
  });

  it('refuses a baseline that is not a metrics file, exit 2', async () => {
    await project.write('baseline.json', JSON.stringify({ accuracy: 0.9 }));
    const gate = await runMlops(['gate', '--baseline', 'baseline.json'], { cwd: project.dir });
    expect(gate.code).toBe(2);
    expect(gate.stderr).toContain('baseline.json: metrics:');
  });
});
