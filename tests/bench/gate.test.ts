import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBenchGates } from '../../pipeline/bench/gate.js';
import { loadConfig } from '../../pipeline/config/load.js';
import { PipelineError } from '../../pipeline/errors.js';
import { trainedPipeline, type TrainedPipeline } from './fixture.js';

const MLOPS = fileURLToPath(new URL('../../bin/mlops.js', import.meta.url));
const exec = promisify(execFile);

async function mlops(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [MLOPS, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('checkBenchGates', () => {
  it('fails a bound that is crossed and names the measurement and the bound', () => {
    const outcome = checkBenchGates(
      { single_p99_ms: { max: 5 }, batch_rows_per_s: { min: 1000 } },
      { single_p99_ms: 7.5, batch_rows_per_s: 50_000 },
    );
    expect(outcome.passed).toBe(false);
    const failed = outcome.gates.filter((g) => !g.passed);
    expect(failed.map((g) => g.name)).toEqual(['single_p99_ms <= 5']);
    expect(failed[0]).toMatchObject({ value: 7.5, bound: 5, kind: 'max' });
  });

  it('bounds changes in percent of the baseline, in the direction that is worse', () => {
    const gates = {
      single_p99_ms: { max_rise_pct: 20 },
      batch_rows_per_s: { max_drop_pct: 10 },
    };
    const base = { single_p99_ms: 2, batch_rows_per_s: 10_000 };
    const ok = checkBenchGates(gates, { single_p99_ms: 2.3, batch_rows_per_s: 9_500 }, base);
    expect(ok.passed).toBe(true);
    const bad = checkBenchGates(gates, { single_p99_ms: 2.5, batch_rows_per_s: 8_000 }, base);
    expect(bad.gates.map((g) => [g.name, g.passed, g.bound])).toEqual([
      ['single_p99_ms rises at most 20% vs baseline', false, 2.4],
      ['batch_rows_per_s drops at most 10% vs baseline', false, 9_000],
    ]);
    expect(bad.gates[0]!.change_pct).toBeCloseTo(25, 9);
  });

  it('skips change gates without a baseline but fails a gated measurement that was not taken', () => {
    const outcome = checkBenchGates(
      { single_p99_ms: { max_rise_pct: 20 }, http_requests_per_s: { min: 1000 } },
      { single_p99_ms: 1 },
    );
    expect(outcome.gates[0]).toMatchObject({
      passed: true,
      skipped: 'no baseline to compare with',
    });
    expect(outcome.gates[1]).toMatchObject({
      name: 'http_requests_per_s >= 1000',
      passed: false,
      reason: 'http_requests_per_s was not measured in this run',
    });
    expect(outcome.passed).toBe(false);
  });
});

describe('bench gates in mlops.yaml', () => {
  let pipeline: TrainedPipeline;
  beforeAll(async () => {
    pipeline = await trainedPipeline(
      [
        'bench:',
        '  iterations: 20',
        '  warmup: 2',
        '  gates:',
        '    single_p50_ms: { max: 0.0000001 }',
        '    model_size_kb: { max_rise_pct: 10 }',
        '    train_samples_per_s: { min: 1 }',
      ].join('\n'),
    );
  });
  afterAll(() => pipeline?.cleanup());

  it('rejects a gate on a measurement that does not exist, naming its key path', async () => {
    await expect(
      loadConfig(pipeline.config, ['bench.gates.latency_ms.max=3']),
    ).rejects.toThrowError(PipelineError);
    await expect(loadConfig(pipeline.config, ['bench.gates.latency_ms.max=3'])).rejects.toThrow(
      /bench\.gates\.latency_ms/,
    );
  });

  it('exits 1 naming each failed benchmark gate, and still writes bench.json', async () => {
    const baseline = join(pipeline.dir, 'bench-baseline.json');
    await writeFile(baseline, JSON.stringify({ metrics: { model_size_kb: 1 } }));
    const { code, stderr } = await mlops([
      'bench',
      '-c',
      pipeline.config,
      '--baseline',
      baseline,
      '-q',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('2 benchmark gates failed');
    expect(stderr).toContain('single_p50_ms <= 1e-7');
    expect(stderr).toContain('model_size_kb rises at most 10% vs baseline');
    const written = JSON.parse(
      await readFile(join(pipeline.dir, 'reports', 'bench.json'), 'utf8'),
    ) as { passed: boolean; baseline: { path: string } };
    expect(written.passed).toBe(false);
    expect(written.baseline.path).toBe(baseline);
  });

  it('exits 2 when the baseline is not a bench.json', async () => {
    const baseline = join(pipeline.dir, 'not-bench.json');
    await writeFile(baseline, '{"metrics": "fast"}');
    const { code, stderr } = await mlops(['bench', '-c', pipeline.config, '--baseline', baseline]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${baseline}: metrics`);
  });
});
