/** `mlops run` and its stages alone: train, evaluate, gate, report. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { benchOfModel } from '../../bench/stage.js';
import { loadConfig } from '../../config/load.js';
import { outputPaths } from '../../config/paths.js';
import { resolveBaseline } from '../../production/baseline.js';
import { failOnGates } from '../../gate/fail.js';
import { readMetadata } from '../../model/files.js';
import { fmt } from '../../report/markdown.js';
import { readMetricsFile } from '../../report/metrics-file.js';
import { openRun } from '../../run/context.js';
import { loadCurrentBundle } from '../../run/current-bundle.js';
import { evaluateStage } from '../../run/evaluate-stage.js';
import { gateStage } from '../../run/gate-stage.js';
import { reportStage } from '../../run/report-stage.js';
import { runPipeline } from '../../run/run.js';
import { trainStage } from '../../run/train-stage.js';
import {
  engineChoice,
  printGates,
  printMetrics,
  say,
  show,
  withCommon,
  type CommonOptions,
} from '../common.js';
import { interruptible } from '../interrupt.js';
import { createOutput, isInteractive } from '../progress.js';
import { remoteAccessFromEnv } from './data.js';

type RunFlags = CommonOptions & { baseline?: string; force?: boolean; dataBase?: string };

export function registerPipelineCommands(program: Command): void {
  withCommon(program.command('run'))
    .description('run every stage of the pull-request pipeline: train, evaluate, gate, report')
    .option(
      '--baseline <file>',
      'metrics.json to compare with, or "production": the production record (fetched from origin), for deltas and change gates',
    )
    .option('--force', 'train even when the saved model is up to date')
    .option('--data-base <rev>', 'add a data-changes section against the data at this git revision')
    .action(async (opts: RunFlags) => {
      const output = createOutput({ interactive: isInteractive(), quiet: opts.quiet });
      const { context, result } = await interruptible((signal) =>
        runPipeline({
          config: opts.config,
          overrides: opts.set,
          baseline: opts.baseline,
          backend: opts.backend,
          denseKernel: engineChoice(opts).denseKernel,
          force: opts.force,
          events: output.events,
          compareDataWith: opts.dataBase,
          remoteAccess: remoteAccessFromEnv(),
          signal,
        }),
      ).finally(() => output.done());
      if (!opts.quiet) {
        printMetrics(result);
        printGates(result);
      }
      say(
        'report',
        `${show(context.paths.report)} (metrics in ${show(context.paths.metrics)}, model ${result.model_version} in ${show(context.paths.model)})`,
      );
      failOnGates(result);
    });

  withCommon(program.command('train'))
    .description('train the model and save it to artifacts/model')
    .option('--force', 'train even when the saved model is up to date')
    .action(async (opts: CommonOptions & { force?: boolean }) => {
      const output = createOutput({ interactive: isInteractive(), quiet: opts.quiet });
      const ctx = await openRun(opts.config, opts.set, {}, engineChoice(opts));
      const { bundle } = await interruptible((signal) =>
        trainStage(ctx, {
          backend: opts.backend,
          force: opts.force,
          events: output.events,
          signal,
        }),
      ).finally(() => output.done());
      const v = Object.entries(bundle.metadata.validation_metrics).filter(
        ([k]) => !k.includes('.'),
      );
      say(
        'train',
        `model ${bundle.metadata.model_version} in ${show(ctx.paths.model)}; validation ${v.map(([k, x]) => `${k} ${fmt(x)}`).join(', ')}`,
      );
    });

  withCommon(program.command('evaluate'))
    .description('score the saved model on the test split; writes reports/metrics.json')
    .action(async (opts: CommonOptions) => {
      const ctx = await openRun(opts.config, opts.set, {}, engineChoice(opts));
      const bundle = await loadCurrentBundle(ctx, opts.backend);
      const result = await evaluateStage(ctx, bundle);
      printMetrics(result);
      say('metrics', show(ctx.paths.metrics));
    });

  withCommon(program.command('gate'))
    .description('check the gates of mlops.yaml against reports/metrics.json; exit 1 if one fails')
    .option(
      '--baseline <file>',
      'metrics.json to compare with, or "production": the production record, for change gates',
    )
    .option(
      '--metrics <file>',
      'metrics to check (default: reports/metrics.json beside the config)',
    )
    .action(async (opts: CommonOptions & { baseline?: string; metrics?: string }) => {
      const loaded = await loadConfig(opts.config, opts.set);
      const baseline = await resolveBaseline(opts.baseline, loaded.dir);
      const paths = outputPaths(loaded.dir);
      if (opts.metrics) paths.metrics = resolve(opts.metrics);
      const result = await gateStage(
        { loaded, paths },
        await readMetricsFile(paths.metrics),
        baseline,
      );
      printGates(result);
      failOnGates(result);
    });

  withCommon(program.command('report'))
    .description('write reports/report.md from reports/metrics.json and the saved model')
    .option(
      '--baseline <file>',
      'metrics.json to compare with, or "production": the production record, for the delta column',
    )
    .action(async (opts: CommonOptions & { baseline?: string }) => {
      const loaded = await loadConfig(opts.config, opts.set);
      const paths = outputPaths(loaded.dir);
      const result = await readMetricsFile(paths.metrics);
      const metadata = await readMetadata(paths.model);
      // Without --baseline: the one the gates were checked against, if any.
      const baseline = await resolveBaseline(opts.baseline ?? result.baseline?.path, loaded.dir);
      const bench = await benchOfModel(paths, result.model_version);
      await reportStage({ paths }, result, metadata, baseline?.data, { bench });
      say('report', show(paths.report));
    });
}
