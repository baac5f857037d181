/**
 * The benchmark action on the trained penguins model: percentiles in order, the
 * model's size as the files on disk add up, and one Benchmark section in the
 * report however often it runs.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FILES, LAYERS_FILE } from '../../pipeline/model/files.js';
import { makeRepository } from './helpers/fixture.js';
import { runAction } from './helpers/run-action.js';

describe('the benchmark action', () => {
  let workspace: string;

  beforeAll(async () => {
    workspace = await makeRepository();
    for (const name of ['train', 'validate-threshold']) {
      const run = await runAction(name, { workspace, inputs: { cache: 'false' } });
      expect(run.code, run.stdout).toBe(0);
    }
  });
  afterAll(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('measures the model and adds one Benchmark section after the gates', async () => {
    for (let i = 0; i < 2; i++) {
      const run = await runAction('benchmark', {
        workspace,
        inputs: { set: 'bench.iterations=50\nbench.warmup=5' },
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.outputs['passed']).toBe('true');
    }
    const bench = JSON.parse(await readFile(join(workspace, 'reports', 'bench.json'), 'utf8'));
    const latency = bench.in_process.single.latency;
    expect(latency.samples).toBe(50);
    expect(latency.p50_ms).toBeGreaterThan(0);
    expect(latency.p50_ms).toBeLessThanOrEqual(latency.p95_ms);
    expect(latency.p95_ms).toBeLessThanOrEqual(latency.p99_ms);
    const sizes = await Promise.all(
      BUNDLE_FILES.filter((f) => f !== LAYERS_FILE).map((f) =>
        stat(join(workspace, 'artifacts', 'model', f)),
      ),
    );
    expect(bench.model_size_bytes).toBe(sizes.reduce((sum, s) => sum + s.size, 0));

    const report = await readFile(join(workspace, 'reports', 'report.md'), 'utf8');
    expect(report.match(/### Benchmark/g)).toHaveLength(1);
    expect(report.indexOf('### Gates')).toBeLessThan(report.indexOf('### Benchmark'));
    expect(report.indexOf('### Benchmark')).toBeLessThan(report.indexOf('### Learning curve'));
  });

  it('fails the step, naming the gate, when a benchmark gate of mlops.yaml is broken', async () => {
    const run = await runAction('benchmark', {
      workspace,
      inputs: { set: 'bench.iterations=20\nbench.gates.model_size_kb.max=0.001' },
    });
    expect(run.code).toBe(1);
    expect(run.outputs['passed']).toBe('false');
    expect(run.annotations.map((a) => a.message).join('\n')).toContain('model_size_kb');
    const report = await readFile(join(workspace, 'reports', 'report.md'), 'utf8');
    expect(report).toContain('model_size_kb');
  });

  it('refuses a model trained on other data or config', async () => {
    const run = await runAction('benchmark', { workspace, inputs: { set: 'model.epochs=7' } });
    expect(run.code).toBe(2);
    expect(run.annotations[0]!.message).toContain('Train it again');
  });
});
