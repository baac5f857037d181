/**
 * `mlops production`: what is live, from the production record on
 * refs/mlops/production of this repository: `show` the current record, `log`
 * its history, `record` a release or rollback. show and log fetch the ref from
 * origin first (when there is an origin), so they print what pull requests see.
 */
import { Option, type Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { outputPaths } from '../../config/paths.js';
import { PipelineError } from '../../errors.js';
import { gitState } from '../../package/lineage.js';
import {
  fetchProduction,
  PRODUCTION_REF,
  productionLog,
  readLocalProduction,
  recordProduction,
} from '../../production/git-ref.js';
import { ProductionEventSchema } from '../../production/record.js';
import { renderLogLine, renderProduction } from '../../production/render.js';
import { say, show } from '../common.js';

interface ProductionOptions {
  config: string;
  fetch: boolean;
  remote: string;
}

function withRepository(command: Command): Command {
  return command
    .option(
      '-c, --config <file>',
      'pipeline definition; its repository holds the record',
      'mlops.yaml',
    )
    .option('--remote <name>', 'the remote the record is fetched from and pushed to', 'origin');
}

const repoOf = (opts: { config: string }) => dirname(resolve(opts.config));

async function fetched(opts: ProductionOptions): Promise<string> {
  const dir = repoOf(opts);
  if (opts.fetch)
    await fetchProduction(dir, opts.remote === 'origin' ? {} : { remote: opts.remote });
  return dir;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function registerProductionCommand(program: Command): void {
  const production = program
    .command('production')
    .description(`what is live: the production record on ${PRODUCTION_REF}`);

  withRepository(production.command('show'))
    .description(
      'the current record: version, weights sha256, event and time, commit, run, metrics',
    )
    .option('--no-fetch', 'read the local ref only')
    .option('--json', 'print the record, metrics and bench as JSON')
    .action(async (opts: ProductionOptions & { json?: boolean }) => {
      const current = await readLocalProduction(await fetched(opts));
      if (!current) return out(`no production model yet (${PRODUCTION_REF} does not exist)`);
      out(opts.json ? JSON.stringify(current, null, 2) : renderProduction(current));
    });

  withRepository(production.command('log'))
    .description('every release and rollback, newest first, one line each')
    .option('--no-fetch', 'read the local ref only')
    .action(async (opts: ProductionOptions) => {
      const entries = await productionLog(await fetched(opts));
      if (!entries.length) return out(`no production model yet (${PRODUCTION_REF} does not exist)`);
      for (const { record } of entries) out(renderLogLine(record));
    });

  withRepository(production.command('record'))
    .description(`append a release or rollback to ${PRODUCTION_REF}: the model now live`)
    .addOption(
      new Option('--event <event>', 'what happened')
        .choices(ProductionEventSchema.options)
        .makeOptionMandatory(),
    )
    .option('-m, --model <dir>', 'the model now live (default: artifacts/model beside the config)')
    .option(
      '--metrics <file>',
      'its test metrics (default: reports/metrics.json beside the config)',
    )
    .option('--bench <file>', 'its benchmark, reports/bench.json, when it was benchmarked')
    .option('--commit <sha>', 'the code commit deployed (default: HEAD of the repository)')
    .option('--run-url <url>', 'the workflow run that deployed it')
    .option('--push', `push ${PRODUCTION_REF} to the remote (fetched first; a fast-forward only)`)
    .action(
      async (
        opts: Omit<ProductionOptions, 'fetch'> & {
          event: 'release' | 'rollback';
          model?: string;
          metrics?: string;
          bench?: string;
          commit?: string;
          runUrl?: string;
          push?: boolean;
        },
      ) => {
        const dir = repoOf(opts);
        const paths = outputPaths(dir);
        const run = opts.runUrl ? { id: runId(opts.runUrl), url: opts.runUrl } : null;
        const { id, record } = await recordProduction(dir, {
          event: opts.event,
          modelDir: resolve(opts.model ?? paths.model),
          metricsPath: resolve(opts.metrics ?? paths.metrics),
          benchPath: opts.bench && resolve(opts.bench),
          commit: opts.commit ?? (await gitState(dir)).commit,
          run,
          remote: opts.push ? opts.remote : undefined,
        });
        say(
          'production',
          `${record.event} ${record.model_version} recorded as ${id.slice(0, 12)} on ${PRODUCTION_REF}${opts.push ? ` and pushed to ${opts.remote}` : ` (local; push it with --push)`}; from ${show(opts.model ?? paths.model)}`,
        );
      },
    );
}

/** A run's id is the last number of its URL (…/actions/runs/<id>). */
function runId(url: string): string {
  const id = /\/runs\/(\d+)/.exec(url)?.[1];
  if (!id)
    throw new PipelineError(
      'usage',
      `--run-url ${url}: not a workflow run URL (…/actions/runs/<id>)`,
    );
  return id;
}
