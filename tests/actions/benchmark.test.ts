/**
 * The benchmark action on the trained penguins model: percentiles in order, the
 * model's size as the files on disk add up, and one Benchmark section in the
 * report however often it runs.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FILES } from '../../pipeline/package/bundle.js';
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
      const run = await runAction('benchmark', { workspace, inputs: { requests: '50' } });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    const bench = JSON.parse(await readFile(join(workspace, 'reports', 'benchmark.json'), 'utf8'));
    expect(bench.requests).toBe(50);
    expect(bench.latency_ms.p50).toBeGreaterThan(0);
    expect(bench.latency_ms.p50).toBeLessThanOrEqual(bench.latency_ms.p95);
    expect(bench.latency_ms.p95).toBeLessThanOrEqual(bench.latency_ms.p99);
    const sizes = await Promise.all(
      BUNDLE_FILES.map((f) => stat(join(workspace, 'artifacts', 'model', f))),
    );
    expect(bench.model_bytes).toBe(sizes.reduce((sum, s) => sum + s.size, 0));

    const report = await readFile(join(workspace, 'reports', 'report.md'), 'utf8');
    expect(report.match(/### Benchmark/g)).toHaveLength(1);
    expect(report.indexOf('### Gates')).toBeLessThan(report.indexOf('### Benchmark'));
    expect(report.indexOf('### Benchmark')).toBeLessThan(report.indexOf('### Learning curve'));
    expect(report).toContain(`${(bench.model_bytes / 1024).toFixed(1)} KiB`);
  });

  it('refuses a model trained on other data or config', async () => {
    const run = await runAction('benchmark', { workspace, inputs: { set: 'model.epochs=7' } });
    expect(run.code).toBe(2);
    expect(run.annotations[0]!.message).toContain('Train it again');
  });
});
