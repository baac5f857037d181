/**
 * `mlops registry`: register a trained model, list and show versions, move the
 * staging / production aliases, and fetch a version's bundle.
 *
 * The store is --registry URL (a folder, or gs://bucket/prefix), else the
 * MLOPS_REGISTRY environment variable, else .mlops/registry beside mlops.yaml.
 * It is reached as a data remote is: the same credentials variables, deadline
 * (--timeout, MLOPS_REMOTE_TIMEOUT) and retries.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readMetadata } from '../../model/files.js';
import { PRODUCTION_REF } from '../../production/git-ref.js';
import { recordRollback } from '../../production/rollback.js';
import { PipelineError } from '../../errors.js';
import {
  fetchVersion,
  listAliases,
  listVersions,
  promote,
  registerBundle,
  resolveVersion,
  rollback,
  type Evaluation,
} from '../../registry/registry.js';
import { openRegistry } from '../../registry/open.js';
import type { VersionRecord } from '../../registry/records.js';
import type { Store } from '../../storage/store.js';
import { fmt } from '../../report/markdown.js';
import { readMetricsFile } from '../../report/metrics-file.js';
import { openRun } from '../../run/context.js';
import { outputPaths } from '../../config/paths.js';
import { engineChoice, show } from '../common.js';
import { remoteAccessFromEnv, TIMEOUT_HELP, timeoutOption } from './data.js';

interface RegistryOptions {
  registry?: string;
  gcsEndpoint?: string;
  timeout?: number;
  config: string;
}

function withRegistry(command: Command): Command {
  return command
    .option('--registry <url>', 'registry: a folder or gs://bucket/prefix')
    .option('--gcs-endpoint <url>', 'another endpoint for the GCS JSON API (an emulator)')
    .option('--timeout <seconds>', TIMEOUT_HELP, timeoutOption)
    .option(
      '-c, --config <file>',
      'pipeline definition; the default registry is beside it',
      'mlops.yaml',
    );
}

function storeFor(opts: RegistryOptions): Store {
  // An empty MLOPS_REGISTRY is unset (what a workflow passes for a missing secret),
  // not the current folder.
  const url =
    opts.registry ??
    (process.env.MLOPS_REGISTRY || join(dirname(resolve(opts.config)), '.mlops', 'registry'));
  const access = remoteAccessFromEnv(process.env, {
    timeout: opts.timeout,
    endpoint: opts.gcsEndpoint,
  });
  return openRegistry(url, access);
}

/** A path as the user would type it: relative when it is under the current folder. */
function display(path: string): string {
  const rel = show(path);
  return rel.startsWith('..') ? resolve(path) : rel;
}

function where(store: Store): string {
  return store.url.startsWith('gs://') ? store.url : display(store.url);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function headline(metrics: Record<string, number> | null): string {
  if (!metrics) return 'not evaluated';
  return Object.entries(metrics)
    .filter(([k]) => !k.includes('.'))
    .slice(0, 3)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
}

/**
 * The test metrics to register with the model in `dir`: the file named, or the
 * default one when it exists and scores this model (the bundle itself carries
 * none: its bytes are fixed when it is trained).
 */
async function evaluationOf(
  dir: string,
  named: string | undefined,
  fallback: string,
): Promise<Evaluation | undefined> {
  if (named) return { ...(await readMetricsFile(resolve(named))), path: display(named) };
  if (!existsSync(fallback)) return undefined;
  const file = await readMetricsFile(fallback);
  const { model_version } = await readMetadata(dir);
  return file.model_version === model_version ? { ...file, path: display(fallback) } : undefined;
}

/** The version production was rolled back to, fetched from the registry, as a production record. */
async function recordRegistryRollback(
  store: Store,
  version: string,
  opts: RegistryOptions & { push?: boolean },
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-rollback-'));
  try {
    const fetched = await fetchVersion(store, version, join(dir, 'model'));
    if (!fetched)
      throw new PipelineError('remote', `version ${version} left ${where(store)} just now`);
    const { id, record } = await recordRollback(dirname(resolve(opts.config)), {
      modelDir: join(dir, 'model'),
      model_version: version,
      metrics: fetched.record.metrics,
      commit: fetched.record.lineage.git_commit,
      remote: opts.push ? 'origin' : undefined,
    }).catch((error: unknown) => {
      if (!(error instanceof PipelineError)) throw error;
      throw new PipelineError(error.code, `${error.message} (the registry alias moved already)`, {
        hint: `Record it once the cause is fixed: mlops registry fetch ${version} --to <dir>, then mlops production record --event rollback --model <dir> --metrics <file>.`,
        cause: error,
      });
    });
    out(
      `production record: rollback to ${record.model_version} as ${id.slice(0, 12)} on ${PRODUCTION_REF}${opts.push ? ', pushed to origin' : ' (local; push with --push)'}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerRegistryCommands(program: Command): void {
  const registry = program
    .command('registry')
    .description('model versions by content hash, and the staging / production aliases');

  withRegistry(registry.command('register'))
    .description('store a trained model bundle under its version (content hash)')
    .option('-m, --model <dir>', 'model folder (default: artifacts/model beside the config)')
    .option(
      '--metrics <file>',
      'its test metrics (default: reports/metrics.json beside the config, if it scores this model)',
    )
    .action(async (opts: RegistryOptions & { model?: string; metrics?: string }) => {
      const store = storeFor(opts);
      const paths = outputPaths(dirname(resolve(opts.config)));
      const dir = opts.model ?? paths.model;
      const { record, added } = await registerBundle(
        store,
        dir,
        await evaluationOf(dir, opts.metrics, paths.metrics),
      );
      out(
        added
          ? `registered ${record.version} (${record.name}; ${headline(record.metrics)}) in ${where(store)}`
          : `${record.version} is already registered in ${where(store)}`,
      );
    });

  withRegistry(registry.command('list'))
    .description('registered versions, newest first, with the aliases pointing at them')
    .option('--json', 'print JSON')
    .action(async (opts: RegistryOptions & { json?: boolean }) => {
      const store = storeFor(opts);
      const [versions, aliases] = await Promise.all([listVersions(store), listAliases(store)]);
      if (opts.json) return out(JSON.stringify({ versions, aliases }, null, 2));
      if (!versions.length) return out(`no versions registered in ${where(store)}`);
      const aliasesOf = (v: VersionRecord) =>
        aliases
          .filter((a) => a.version === v.version)
          .map((a) => a.alias)
          .join(', ');
      out(
        table([
          ['VERSION', 'NAME', 'TRAINED', 'TEST METRICS', 'ALIASES'],
          ...versions.map((v) => [
            v.version,
            v.name,
            v.created_at.replace(/\.\d+Z$/, 'Z'),
            headline(v.metrics),
            aliasesOf(v),
          ]),
        ]),
      );
    });

  withRegistry(registry.command('show'))
    .description('one version (or the version an alias points at): metrics, lineage, files')
    .argument('<version>', 'a version, a unique prefix of one, or an alias')
    .action(async (ref: string, opts: RegistryOptions) => {
      const store = storeFor(opts);
      const record = await resolveVersion(store, ref);
      const aliases = (await listAliases(store)).filter((a) => a.version === record.version);
      out(JSON.stringify({ ...record, aliases: aliases.map((a) => a.alias) }, null, 2));
    });

  withRegistry(registry.command('promote'))
    .description('point an alias (staging or production) at a version')
    .argument('<version>', 'a version, a unique prefix of one, or the other alias')
    .argument('<alias>', 'staging or production')
    .action(async (ref: string, alias: string, opts: RegistryOptions) => {
      const move = await promote(storeFor(opts), ref, alias);
      out(
        move.changed
          ? `${move.alias}: ${move.from ?? '(none)'} -> ${move.version}`
          : `${move.alias} already points at ${move.version}`,
      );
    });

  withRegistry(registry.command('rollback'))
    .description('point an alias back at the version it had before its last promotion')
    .argument('<alias>', 'staging or production')
    .option(
      '--record',
      `production only: also append the rollback to the production record (${PRODUCTION_REF})`,
    )
    .option('--push', 'with --record: push the production record to origin')
    .action(async (alias: string, opts: RegistryOptions & { record?: boolean; push?: boolean }) => {
      if (opts.record && alias !== 'production')
        throw new PipelineError(
          'usage',
          `--record: only a rollback of production is a production record, not of ${alias}`,
        );
      const store = storeFor(opts);
      const move = await rollback(store, alias);
      out(`${move.alias}: ${move.from} -> ${move.version} (rolled back)`);
      if (opts.record) await recordRegistryRollback(store, move.version, opts);
    });

  withRegistry(registry.command('fetch'))
    .description(
      "download a version's bundle; with no version, the one the current config, data and code would train, if it is registered",
    )
    .argument('[version]', 'a version, a unique prefix of one, or an alias')
    .option('--to <dir>', 'model folder to fill (default: artifacts/model beside the config)')
    .option(
      '--set <key.path=value>',
      'config override, as for `mlops run`',
      (v, p: string[]) => [...p, v],
      [],
    )
    .action(
      async (ref: string | undefined, opts: RegistryOptions & { to?: string; set: string[] }) => {
        const store = storeFor(opts);
        const to = opts.to ?? outputPaths(dirname(resolve(opts.config))).model;
        const done = (version: string, written: boolean) =>
          written
            ? `fetched ${version} into ${display(to) || '.'}`
            : `${display(to) || '.'} holds ${version} already`;
        if (ref) {
          const { version } = await resolveVersion(store, ref);
          const fetched = await fetchVersion(store, version, to);
          if (!fetched)
            throw new PipelineError('remote', `version ${version} left ${where(store)} just now`);
          return out(done(version, fetched.written));
        }
        const { version } = await openRun(opts.config, opts.set, {}, engineChoice({}));
        const fetched = await fetchVersion(store, version, to);
        out(
          fetched
            ? `${done(version, fetched.written)}; it is the model this commit trains, so training can be skipped`
            : `${version} is not registered in ${where(store)}; train it`,
        );
      },
    );
}
