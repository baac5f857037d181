/** The second bundled example, a regression: `npx mlops run --config examples/cars/mlops.yaml`. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MetricsFileSchema } from '../../pipeline/report/metrics-file.js';
import { runMlops, tempProject, type TempProject } from '../helpers/project.js';

let project: TempProject;

beforeAll(async () => {
  // The example points at ../../mlops.schema.json for editors only; the run does not need it.
  project = await tempProject(['examples/cars']);
});
afterAll(() => project.remove());

it('trains the cars regression to r2 of at least 0.8 on its test split', async () => {
  const result = await runMlops(['run', '--config', 'examples/cars/mlops.yaml'], {
    cwd: project.dir,
  });
  expect(result.stderr).toContain('data     data/cars.json: 398 rows');
  expect(result.code).toBe(0);
  expect(result.stderr).toContain('gate     ✅ r2 >= 0.8');
  const metrics = MetricsFileSchema.parse(
    await project.readJson('examples/cars/reports/metrics.json'),
  );
  expect(metrics.task).toBe('regression');
  expect(Object.keys(metrics.metrics).sort()).toEqual(['mae', 'r2', 'rmse']);
  expect(metrics.metrics['r2']).toBeGreaterThanOrEqual(0.8);
  // Outputs sit beside the config they came from.
  expect(await project.exists('examples/cars/artifacts/model/model.json')).toBe(true);
  expect(await project.exists('reports')).toBe(false);
  const report = await project.read('examples/cars/reports/report.md');
  expect(report).toContain('## ✅ cars-mpg: all 3 gates passed');
  expect(report).toContain('8 rows without a target were left out.');
  expect(report).not.toContain('Confusion matrix');
});

it('predicts miles per gallon for rows given as JSON', async () => {
  const cars = await project.readJson<Record<string, unknown>[]>('examples/cars/data/cars.json');
  const known = cars
    .filter((c) => c['Miles_per_Gallon'] != null && c['Horsepower'] != null)
    .slice(0, 5);
  // The rows as the data file holds them (Year is a date), without the name and the target.
  const rows = known.map((car) => {
    const features = { ...car };
    delete features['Name'];
    delete features['Miles_per_Gallon'];
    return features;
  });
  await project.write('cars-rows.json', JSON.stringify(rows));
  const result = await runMlops(
    ['predict', '--input', 'cars-rows.json', '--model', 'examples/cars/artifacts/model'],
    { cwd: project.dir },
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const { predictions } = JSON.parse(result.stdout) as { predictions: { value: number }[] };
  expect(predictions).toHaveLength(known.length);
  // Within a few rmse of the truth: a model that learnt nothing predicts the mean for all.
  predictions.forEach((p, i) => {
    expect(Math.abs(p.value - (known[i]!['Miles_per_Gallon'] as number))).toBeLessThan(8);
  });
  expect(new Set(predictions.map((p) => p.value)).size).toBe(known.length);
});
