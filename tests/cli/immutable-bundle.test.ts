/**
 * A model bundle is written once, by train: evaluate, gate, report, a run that
 * reuses it, registering and fetching it leave every byte as trained, so the
 * version names one set of bytes wherever they are stored.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUNDLE_FILES, LAYERS_FILE } from '../../pipeline/model/files.js';
import { VersionRecordSchema } from '../../pipeline/registry/records.js';
import { penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

let project: TempProject;

beforeAll(async () => {
  project = await penguinsProject();
});
afterAll(() => project?.remove());

async function sha256s(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  const entries = await Promise.all(
    names.map(async (n) => [
      n,
      createHash('sha256')
        .update(await readFile(join(dir, n)))
        .digest('hex'),
    ]),
  );
  return Object.fromEntries(entries) as Record<string, string>;
}

async function ok(args: string[]): Promise<string> {
  const result = await runMlops(args, { cwd: project.dir });
  expect(result.code, `mlops ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

it('every file of artifacts/model keeps the sha256 train gave it', async () => {
  await ok(['train', '-q']);
  const model = project.path('artifacts/model');
  const trained = await sha256s(model);
  // A built-in kind has no layer classes of its own, so no layers.mjs.
  expect(Object.keys(trained)).toEqual(BUNDLE_FILES.filter((f) => f !== LAYERS_FILE).sort());

  for (const stage of [['evaluate'], ['gate'], ['report'], ['run', '-q']]) {
    await ok(stage);
    expect(await sha256s(model), stage[0]).toEqual(trained);
  }
  // The test metrics are the evaluation's, in reports/metrics.json alone.
  const metadata = JSON.parse(await project.read('artifacts/model/metadata.json')) as object;
  expect(metadata).not.toHaveProperty('metrics');
  const metrics = JSON.parse(await project.read('reports/metrics.json')) as {
    metrics: Record<string, number>;
  };
  expect(metrics.metrics['accuracy']).toBeGreaterThanOrEqual(0.95);

  // The registry stores the bytes as trained, with the test metrics beside them.
  const registry = project.path('registry');
  expect(await ok(['registry', 'register', '--registry', registry])).toMatch(
    /^registered [0-9a-f]{12} \(penguins-species; accuracy /,
  );
  const [version] = await readdir(join(registry, 'versions'));
  const record = VersionRecordSchema.parse(
    JSON.parse(await readFile(join(registry, 'versions', version!, 'version.json'), 'utf8')),
  );
  expect(record.metrics).toEqual(metrics.metrics);
  expect(Object.fromEntries(Object.entries(record.files).map(([n, f]) => [n, f.sha256]))).toEqual(
    trained,
  );
  await ok([
    'registry',
    'fetch',
    version!,
    '--registry',
    registry,
    '--to',
    project.path('fetched'),
  ]);
  expect(await sha256s(project.path('fetched'))).toEqual(trained);
  expect(await sha256s(model)).toEqual(trained);
});

it('refuses to register the test metrics of another model, naming the file', async () => {
  await project.write(
    'other-metrics.json',
    (await project.read('reports/metrics.json')).replace(
      /"model_version": "[0-9a-f]+"/,
      '"model_version": "000000000000"',
    ),
  );
  const result = await runMlops(
    [
      'registry',
      'register',
      '--registry',
      project.path('registry-2'),
      '--metrics',
      'other-metrics.json',
    ],
    { cwd: project.dir },
  );
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(
    /error: other-metrics\.json: has the metrics of model 000000000000, but .*artifacts\/model holds model [0-9a-f]{12}/,
  );
});
