/** The stages one command at a time, as separate CI jobs run them: train, evaluate, gate, report. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MetricsFileSchema } from '../../pipeline/report/metrics-file.js';
import { penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

let project: TempProject;

beforeAll(async () => {
  project = await penguinsProject();
});
afterAll(() => project.remove());

it('train, evaluate, gate and report hand their files on to each other', async () => {
  const train = await runMlops(['train', '-q'], { cwd: project.dir });
  expect(train.code).toBe(0);
  expect(train.stderr).toMatch(
    /^train {4}model [0-9a-f]{12} in artifacts\/model; validation accuracy /m,
  );
  expect(await project.exists('reports')).toBe(false);

  const evaluate = await runMlops(['evaluate'], { cwd: project.dir });
  expect(evaluate.code).toBe(0);
  const evaluated = MetricsFileSchema.parse(await project.readJson('reports/metrics.json'));
  expect(evaluated.passed).toBeNull();
  expect(evaluated.metrics['accuracy']).toBeGreaterThanOrEqual(0.95);
  // The test metrics live in reports/metrics.json; the bundle stays as trained.
  expect(await project.readJson('artifacts/model/metadata.json')).not.toHaveProperty('metrics');

  const gate = await runMlops(['gate'], { cwd: project.dir });
  expect(gate.code).toBe(0);
  const gated = MetricsFileSchema.parse(await project.readJson('reports/metrics.json'));
  expect(gated.passed).toBe(true);
  expect(gated.gates.map((g) => g.name)).toEqual([
    'accuracy >= 0.95',
    'accuracy drops at most 0.02 vs baseline',
    'macro_f1 >= 0.93',
    'log_loss <= 0.3',
  ]);

  const report = await runMlops(['report'], { cwd: project.dir });
  expect(report.code).toBe(0);
  expect(await project.read('reports/report.md')).toContain(
    '## ✅ penguins-species: all 4 gates passed',
  );
});

it('refuses to evaluate a model trained on another config, exit 2, metrics untouched', async () => {
  const before = await project.read('reports/metrics.json');
  const evaluate = await runMlops(['evaluate', '--set', 'model.epochs=61'], { cwd: project.dir });
  expect(evaluate.code).toBe(2);
  expect(evaluate.stderr).toMatch(
    /error: artifacts\/model holds model [0-9a-f]{12}, but the config, data and code now give [0-9a-f]{12}/,
  );
  expect(evaluate.stderr).toContain('hint: Train it again with `mlops train`.');
  expect(await project.read('reports/metrics.json')).toBe(before);
});

it('refuses a gate on a class the model does not have as bad config, exit 2, metrics untouched', async () => {
  const before = await project.read('reports/metrics.json');
  const gate = await runMlops(['gate', '--set', 'gates["recall.Adeli"].min=0.9'], {
    cwd: project.dir,
  });
  expect(gate.code).toBe(2);
  expect(gate.stderr).toContain('has no class "Adeli" (did you mean "Adelie"?)');
  expect(await project.read('reports/metrics.json')).toBe(before);
});

it('refuses to report metrics of one model beside the lineage of another, report untouched', async () => {
  const before = await project.read('reports/report.md');
  const train = await runMlops(['train', '-q', '--set', 'model.epochs=5'], { cwd: project.dir });
  expect(train.code).toBe(0);
  const report = await runMlops(['report'], { cwd: project.dir });
  expect(report.code).toBe(2);
  expect(report.stderr).toMatch(
    /error: reports\/metrics\.json: has the metrics of model [0-9a-f]{12}, but artifacts\/model holds model [0-9a-f]{12}/,
  );
  expect(report.stderr).toContain('hint: Score the saved model with `mlops evaluate` first.');
  expect(await project.read('reports/report.md')).toBe(before);
});
