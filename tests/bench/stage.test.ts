import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addToReport } from '../../actions/benchmark/src/section.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchFileSchema, readBenchFile } from '../../pipeline/bench/bench-file.js';
import { BENCH_METRICS } from '../../pipeline/config/bench-metrics.js';
import { benchOfModel, benchPath, benchStage } from '../../pipeline/bench/stage.js';
import { loadConfig } from '../../pipeline/config/load.js';
import { readMetadata } from '../../pipeline/model/files.js';
import { loadBundle, type ModelBundle } from '../../pipeline/model/load.js';
import { findingSections } from '../../pipeline/report/findings.js';
import { renderReport } from '../../pipeline/report/markdown.js';
import { readMetricsFile } from '../../pipeline/report/metrics-file.js';
import { outputPaths } from '../../pipeline/config/paths.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { recordProduction } from '../../pipeline/production/git-ref.js';

const execFileAsync = promisify(execFile);
import { trainedPipeline, type TrainedPipeline } from './fixture.js';

let pipeline: TrainedPipeline;
let bundle: ModelBundle;

beforeAll(async () => {
  await initBackend();
  pipeline = await trainedPipeline('bench: { iterations: 40, warmup: 5, batch_size: 16 }\n');
  bundle = await loadBundle(join(pipeline.dir, 'artifacts', 'model'));
});

afterAll(async () => {
  bundle?.network.dispose();
  await pipeline?.cleanup();
});

async function run() {
  const loaded = await loadConfig(pipeline.config);
  const paths = outputPaths(loaded.dir);
  return benchStage({ loaded, paths, bundle, modelDir: paths.model, backend: 'wasm' });
}

describe('bench stage', () => {
  it('writes reports/bench.json with ordered percentiles for single rows and batches', async () => {
    const result = await run();
    const written = await readBenchFile(join(pipeline.dir, 'reports', 'bench.json'));
    expect(BenchFileSchema.parse(written)).toEqual(result);
    for (const timed of [result.in_process.single, result.in_process.batch]) {
      const l = timed.latency;
      expect(l.samples).toBe(40);
      expect(l.p50_ms).toBeGreaterThan(0);
      expect(l.p50_ms).toBeLessThanOrEqual(l.p95_ms);
      expect(l.p95_ms).toBeLessThanOrEqual(l.p99_ms);
      expect(l.p99_ms).toBeLessThanOrEqual(l.max_ms);
      expect(timed.rows_per_s).toBeGreaterThan(0);
    }
    expect(result.settings).toMatchObject({ iterations: 40, warmup: 5, batch_size: 16, url: null });
    expect(result.http).toBeNull();
    expect(result.passed).toBe(true);
    expect(result.gates).toEqual([]);
  });

  it('reports the model size on disk and the training speed from metadata.json', async () => {
    const result = await run();
    const dir = join(pipeline.dir, 'artifacts', 'model');
    const names = await readdir(dir);
    const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
    expect(result.model_size_bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(result.metrics.model_size_kb).toBeCloseTo(result.model_size_bytes / 1024, 6);
    expect(result.metrics.train_seconds).toBe(bundle.metadata.training.seconds);
    expect(result.metrics.train_samples_per_s).toBe(bundle.metadata.training.samples_per_second);
    expect(result.model_version).toBe(bundle.metadata.model_version);
    expect(result.peak_rss_mb).toBeGreaterThan(0);
  });

  it('names only measurements of the catalogue, and no HTTP ones without a server', async () => {
    const result = await run();
    for (const name of Object.keys(result.metrics))
      expect(BENCH_METRICS as readonly string[]).toContain(name);
    expect(Object.keys(result.metrics).filter((n) => n.startsWith('http_'))).toEqual([]);
  });

  it('adds a Benchmark section to the report only for the model it measured', async () => {
    await run();
    const paths = outputPaths(pipeline.dir);
    const bench = await benchOfModel(paths, bundle.metadata.model_version);
    const [section] = findingSections({ bench });
    expect(section?.title).toBe('Benchmark');
    expect(section?.markdown).toContain('In process, 1 row');
    expect(section?.markdown).toContain('In process, batch of 16');
    const other = await benchOfModel(paths, 'another-version');
    expect(findingSections({ bench: other })).toEqual([]);
    expect(benchPath(paths)).toBe(join(pipeline.dir, 'reports', 'bench.json'));
  });

  it("reads back production's bench.json from the local production record, as bench.json names it", async () => {
    await run();
    const paths = outputPaths(pipeline.dir);
    const git = (...args: string[]) => execFileAsync('git', args, { cwd: pipeline.dir });
    await git('init', '--quiet');
    // This model went live with this benchmark: the next run compares with it.
    await recordProduction(pipeline.dir, {
      event: 'release',
      modelDir: paths.model,
      metricsPath: join(paths.reports, 'metrics.json'),
      benchPath: benchPath(paths),
      commit: null,
      run: null,
    });
    const file = JSON.parse(await readFile(benchPath(paths), 'utf8'));
    file.baseline = {
      model_version: bundle.metadata.model_version,
      path: 'refs/mlops/production:bench.json',
    };
    await writeFile(benchPath(paths), JSON.stringify(file));
    const bench = await benchOfModel(paths, bundle.metadata.model_version);
    expect(bench?.baseline?.model_version).toBe(bundle.metadata.model_version);
    expect(bench?.baseline?.metrics).toEqual(file.metrics);
    await rm(join(pipeline.dir, '.git'), { recursive: true, force: true });
  });

  it('places the Benchmark section of the benchmark job where the report places sections', async () => {
    await run();
    const paths = outputPaths(pipeline.dir);
    const [bench] = findingSections({
      bench: await benchOfModel(paths, bundle.metadata.model_version),
    });
    const input = {
      result: await readMetricsFile(paths.metrics),
      metadata: await readMetadata(paths.model),
    };
    const data = { title: 'Data changes', markdown: 'The data is the same as at `main`.' };
    const reportPath = join(pipeline.dir, 'reports', 'placed.md');
    await rm(reportPath, { force: true });
    await writeFile(reportPath, renderReport({ ...input, sections: [data] }));
    // The gates job wrote the report; the benchmark job adds its section, twice on a re-run.
    await addToReport(reportPath, bench!);
    expect(await readFile(reportPath, 'utf8')).toBe(
      renderReport({ ...input, sections: [data, bench!] }),
    );
    const again = { ...bench!, markdown: 'Measured again.' };
    await addToReport(reportPath, again);
    expect(await readFile(reportPath, 'utf8')).toBe(
      renderReport({ ...input, sections: [data, again] }),
    );
  });

  it('makes the Benchmark section the whole report when there is none, and appends it to a report of other making', async () => {
    const reportPath = join(pipeline.dir, 'reports', 'alone.md');
    await rm(reportPath, { force: true });
    await addToReport(reportPath, { title: 'Benchmark', markdown: 'Fast.' });
    const report = await readFile(reportPath, 'utf8');
    expect(report).toContain('### Benchmark\n\nFast.\n');
    expect(report.match(/### /g)).toHaveLength(1);
    // A report the pipeline did not write keeps every line, the section after them.
    await writeFile(reportPath, 'Written by hand.\n');
    await addToReport(reportPath, { title: 'Benchmark', markdown: 'Fast.' });
    expect(await readFile(reportPath, 'utf8')).toMatch(
      /^Written by hand\.\n\n<!--[^\n]*-->\n### Benchmark\n\nFast\.\n<!--[^\n]*-->\n$/,
    );
  });
});
