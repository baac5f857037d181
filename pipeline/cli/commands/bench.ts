/** `mlops bench`: time the saved model in process (and over HTTP with --url), gate, write reports/bench.json. */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { readBenchBaseline } from '../../bench/bench-file.js';
import { benchPath, benchStage } from '../../bench/stage.js';
import { loadConfig } from '../../config/load.js';
import { PipelineError } from '../../errors.js';
import { failOnGates } from '../../gate/fail.js';
import { loadBundle } from '../../model/load.js';
import { benchSection, fmtMeasure } from '../../report/sections/benchmark.js';
import { outputPaths } from '../../config/paths.js';
import { PRODUCTION, productionBaselines } from '../../production/baseline.js';
import { initBackend } from '../../train/backend.js';
import { say, show, withCommon, type CommonOptions } from '../common.js';
import { interruptible } from '../interrupt.js';

interface BenchOptions extends CommonOptions {
  model?: string;
  url?: string;
  tokenEnv?: string;
  baseline?: string;
}

export function registerBenchCommand(program: Command): void {
  withCommon(program.command('bench'))
    .description(
      'benchmark the saved model: latency p50/p95/p99 and throughput in process (and over HTTP with --url), size, memory, training speed; gated by bench.gates',
    )
    .option('-m, --model <dir>', 'model folder (default: artifacts/model beside the config)')
    .option('--url <url>', 'also benchmark a running `mlops serve` at this base URL')
    .addOption(
      new Option(
        '--token-env <name>',
        'environment variable holding the bearer token of the server',
      ),
    )
    .option(
      '--baseline <file>',
      "bench.json of an earlier run, or `production` (the production record's), for changes and change gates",
    )
    .action(async (opts: BenchOptions) => {
      const baseline =
        opts.baseline === PRODUCTION
          ? (await productionBaselines(process.cwd())).bench
          : opts.baseline
            ? { path: opts.baseline, data: await readBenchBaseline(opts.baseline) }
            : undefined;
      let token: string | undefined;
      if (opts.tokenEnv) {
        token = process.env[opts.tokenEnv];
        if (!token)
          throw new PipelineError(
            'usage',
            `--token-env ${opts.tokenEnv}: that variable is not set`,
          );
      }
      const loaded = await loadConfig(opts.config, opts.set);
      const paths = outputPaths(loaded.dir);
      const modelDir = opts.model ? resolve(opts.model) : paths.model;
      const backend = await initBackend(opts.backend);
      const bundle = await loadBundle(modelDir);
      const result = await interruptible((signal) =>
        benchStage({
          loaded,
          paths,
          bundle,
          modelDir,
          backend,
          http: opts.url ? { url: opts.url, token } : undefined,
          baseline,
          onPhase: (phase) =>
            opts.quiet || say('bench', `${phase} (model ${bundle.metadata.model_version})`),
          signal,
        }),
      ).finally(() => bundle.network.dispose());
      if (!opts.quiet) process.stdout.write(`${benchSection(result, baseline?.data).markdown}\n`);
      for (const g of result.gates)
        if (!g.passed)
          say('gate', `❌ ${g.name} (value ${fmtMeasure(g.value)}, bound ${fmtMeasure(g.bound)})`);
      say('bench', show(benchPath(paths)));
      failOnGates(result, 'benchmark gate');
    });
}
