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
