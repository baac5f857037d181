/**
 * examples/gapminder: a model module with per-country embeddings beats the
 * built-in mlp on the same split, as its README says, and is predicted and
 * served like any model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetadata } from '../../pipeline/model/files.js';
import { MetricsFileSchema } from '../../pipeline/report/metrics-file.js';
import { createPredictionServer } from '../../pipeline/serve/server.js';
import { runMlops, tempProject, type TempProject } from '../helpers/project.js';

const EXAMPLE = 'examples/gapminder';

/** The line `mlops run` prints for the test split. */
const testLine = (stderr: string) => /evaluate test split.*/.exec(stderr)?.[0];

describe('the gapminder example', () => {
  let project: TempProject;
  const runs: Record<'mlp' | 'module', { stderr: string; rmse: number }> = {} as never;

  beforeAll(async () => {
    project = await tempProject([EXAMPLE]);
    // The mlp first: both write to the example's artifacts/, and the module's model is the one served.
    for (const [name, config] of [
      ['mlp', 'mlp.yaml'],
      ['module', 'mlops.yaml'],
    ] as const) {
      const result = await runMlops(['run', '--config', `${EXAMPLE}/${config}`], {
        cwd: project.dir,
      });
      expect(result.code, result.stderr).toBe(0);
      const metrics = MetricsFileSchema.parse(
        await project.readJson(`${EXAMPLE}/reports/metrics.json`),
      );
      expect(metrics.passed).toBe(true);
      runs[name] = { stderr: result.stderr, rmse: metrics.metrics['rmse']! };
    }
  }, 120_000);
  afterAll(() => project?.remove());

  it('trains the module, passes its gates, and beats the built-in mlp on the test split', async () => {
    expect(runs.module.stderr).toContain('training tfjs on 444 rows');
    expect(runs.module.stderr).toContain('gate     ✅ r2 >= 0.95');
    expect(runs.module.stderr).toContain('gate     ✅ rmse <= 2.5');
    expect(runs.mlp.stderr).toContain('training mlp on 444 rows');
    expect(runs.module.rmse).toBeLessThan(runs.mlp.rmse);

    // The README shows the numbers these runs print (on the wasm backend they
    // ran on for it; tensorflow's kernels round differently) and the module in full.
    const readme = await project.read(`${EXAMPLE}/README.md`);
    const module = await project.read(`${EXAMPLE}/models/country-trend.ts`);
    expect(readme).toContain(module);
    const { lineage } = await readMetadata(project.path(`${EXAMPLE}/artifacts/model`));
    expect(lineage.model_inputs).toBe('features');
    if (lineage.backend === 'wasm') {
      expect(readme).toContain(testLine(runs.module.stderr));
      expect(readme).toContain(testLine(runs.mlp.stderr));
    }
  });

  it('predicts with mlops predict and serves, a country not seen in training included', async () => {
    const rows = [
      { country: 'Japan', year: 2005 },
      { country: 'Japan', year: 1955 },
      { country: 'Atlantis', year: 2005 },
    ];
    await project.write('rows.json', JSON.stringify(rows));
    const predicted = await runMlops(
      ['predict', '--input', 'rows.json', '--model', `${EXAMPLE}/artifacts/model`],
      { cwd: project.dir },
    );
    expect(predicted.code, predicted.stderr).toBe(0);
    const { predictions } = JSON.parse(predicted.stdout) as { predictions: { value: number }[] };
    const [japan2005, japan1955, atlantis] = predictions.map((p) => p.value);
    // Japan's life expectancy was 82 in 2005 and 66 in 1955.
    expect(Math.abs(japan2005! - 82)).toBeLessThan(3);
    expect(Math.abs(japan1955! - 66)).toBeLessThan(4);
    expect(Number.isFinite(atlantis)).toBe(true);

    const server = await createPredictionServer({
      modelDir: project.path(`${EXAMPLE}/artifacts/model`),
      token: 'tok',
    });
    try {
      const url = await server.listen('127.0.0.1', 0);
      const res = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
        body: JSON.stringify({ rows }),
      });
      const served = (await res.json()) as { predictions?: { value: number }[] };
      expect(res.status, JSON.stringify(served)).toBe(200);
      served.predictions!.forEach((p, i) => expect(p.value).toBeCloseTo(predictions[i]!.value, 4));
    } finally {
      await server.close();
    }
  });
});
