/** `mlops data add|push|pull|status|diff`: DVC-compatible data versioning without Python. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { PipelineError } from '../../errors.js';
import { addData, dataStatus, openWorkspace, resolveTargets } from '../../data/dvc/workspace.js';
import type { RemoteAccess } from '../../data/remote/open.js';
import { pullData, pushData } from '../../data/sync.js';
import { loadConfig } from '../../config/load.js';
import { dataChangesAgainst } from '../../data/diff/report.js';
import { say, show } from '../common.js';

/** `--timeout` or MLOPS_REMOTE_TIMEOUT: seconds, as milliseconds. */
function timeoutSeconds(value: string, from: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 3600)
    throw new PipelineError(
      'usage',
      `${from} ${value}: expected a number of seconds from 1 to 3600`,
    );
  return Math.round(n * 1000);
}

/**
 * GCS access from the environment: a key file (GOOGLE_APPLICATION_CREDENTIALS),
 * or the key's JSON itself (MLOPS_GCS_CREDENTIALS, as CI secrets come), and an
 * endpoint for an emulator (MLOPS_GCS_ENDPOINT or STORAGE_EMULATOR_HOST); how
 * long a silent remote is waited for (MLOPS_REMOTE_TIMEOUT, seconds). Not in
 * .dvc/config: DVC refuses keys it does not know there.
 */
export function remoteAccessFromEnv(env: NodeJS.ProcessEnv = process.env): RemoteAccess {
  const gcs: NonNullable<RemoteAccess['gcs']> = {};
  const json = env['MLOPS_GCS_CREDENTIALS'];
  if (json) {
    try {
      gcs.credentials = JSON.parse(json) as Record<string, unknown>;
    } catch {
      // The value is a secret: say where it came from, never what it is.
      throw new PipelineError('usage', 'MLOPS_GCS_CREDENTIALS is not valid JSON', {
        hint: 'Set it to the contents of a service-account key file.',
      });
    }
  } else if (env['GOOGLE_APPLICATION_CREDENTIALS']) {
    const file = env['GOOGLE_APPLICATION_CREDENTIALS'];
    try {
      readFileSync(file);
    } catch {
      throw new PipelineError(
        'usage',
        `GOOGLE_APPLICATION_CREDENTIALS names ${file}, which cannot be read`,
      );
    }
    gcs.keyFilename = file;
  }
  const endpoint = env['MLOPS_GCS_ENDPOINT'] ?? env['STORAGE_EMULATOR_HOST'];
  if (endpoint) gcs.apiEndpoint = /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
  const timeout = env['MLOPS_REMOTE_TIMEOUT'];
  return timeout ? { gcs, timeout: timeoutSeconds(timeout, 'MLOPS_REMOTE_TIMEOUT') } : { gcs };
}

/** The environment's access, with `--timeout` (seconds) winning over MLOPS_REMOTE_TIMEOUT. */
function remoteAccess(timeout?: number): RemoteAccess {
  const access = remoteAccessFromEnv();
  return timeout === undefined ? access : { ...access, timeout };
}

const timeoutOption = (value: string) => timeoutSeconds(value, '--timeout');
const TIMEOUT_HELP =
  'seconds a silent remote is waited for, per object (default 30, or MLOPS_REMOTE_TIMEOUT)';

function jobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new PipelineError('usage', `--jobs ${value}: expected an integer from 1 to 64`);
  return n;
}

interface SyncFlags {
  remote?: string;
  jobs: number;
  force?: boolean;
  timeout?: number;
}

export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description("version data with DVC pointers, in DVC's own formats");

  data
    .command('add <paths...>')
    .description('hash data into .dvc/cache, write PATH.dvc and git-ignore PATH')
    .action(async (paths: string[]) => {
      const ws = await openWorkspace(process.cwd());
      for (const path of paths) {
        const r = await addData(ws, path);
        say(
          'add',
          `${show(r.pointer)}: md5 ${r.md5}, ${r.size} bytes${r.nfiles === undefined ? '' : `, ${r.nfiles} files`}`,
        );
      }
    });

  const sync = (name: 'push' | 'pull', description: string) =>
    data
      .command(`${name} [targets...]`)
      .description(description)
      .option('-r, --remote <name>', 'remote from .dvc/config (default: [core] remote)')
      .option('-j, --jobs <n>', 'transfers in parallel', jobs, 8)
      .option('--timeout <seconds>', TIMEOUT_HELP, timeoutOption);

  sync(
    'push',
    'upload the cached objects of the pointers (all, or the named ones) to the remote',
  ).action(async (targets: string[], opts: SyncFlags) => {
    const ws = await openWorkspace(process.cwd());
    const pointers = await resolveTargets(ws, targets);
    const r = await pushData(ws, pointers, {
      remote: opts.remote,
      jobs: opts.jobs,
      access: remoteAccess(opts.timeout),
    });
    say('push', `${r.transferred} uploaded, ${r.skipped} already in ${r.remote}`);
  });

  sync('pull', 'download the data of the pointers from the remote, verify it and check it out')
    .option('-f, --force', 'overwrite data in the workspace that differs from its pointer')
    .action(async (targets: string[], opts: SyncFlags) => {
      const ws = await openWorkspace(process.cwd());
      const pointers = await resolveTargets(ws, targets);
      const r = await pullData(ws, pointers, {
        remote: opts.remote,
        jobs: opts.jobs,
        force: opts.force,
        access: remoteAccess(opts.timeout),
      });
      say('pull', `${r.transferred} downloaded, ${r.skipped} already cached, from ${r.remote}`);
      for (const path of r.written) say('checkout', path);
    });

  data
    .command('status [targets...]')
    .description('is the data in the workspace what its pointer records? exit 1 when not')
    .action(async (targets: string[]) => {
      const ws = await openWorkspace(process.cwd());
      const entries = await dataStatus(ws, await resolveTargets(ws, targets));
      for (const e of entries) {
        const detail =
          e.state === 'modified'
            ? ` (now ${e.actual})`
            : e.state === 'missing' && e.inCache
              ? ' (in the cache: `mlops data pull`)'
              : '';
        process.stdout.write(`${e.state.padEnd(9)} ${show(e.path)}${detail}\n`);
      }
      if (entries.some((e) => e.state !== 'in sync'))
        throw new PipelineError(
          'gate',
          `${entries.filter((e) => e.state !== 'in sync').length} of ${entries.length} tracked paths are not in sync`,
        );
    });

  data
    .command('diff [rev]')
    .description(
      'rows, schema and drift of the data against the data at a git revision (default HEAD), as Markdown',
    )
    .option('-c, --config <file>', 'pipeline definition', 'mlops.yaml')
    .option('--timeout <seconds>', TIMEOUT_HELP, timeoutOption)
    .action(async (rev: string | undefined, opts: { config: string; timeout?: number }) => {
      const loaded = await loadConfig(opts.config);
      const section = await dataChangesAgainst(loaded, rev ?? 'HEAD', remoteAccess(opts.timeout));
      process.stdout.write(`${section.markdown}\n`);
    });
}
