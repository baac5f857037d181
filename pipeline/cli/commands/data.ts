/** `mlops data add|push|pull|refresh|status|diff`: DVC-compatible data versioning without Python. */
import type { Command } from 'commander';
import { PipelineError } from '../../errors.js';
import {
  addData,
  dataStatus,
  indexPointers,
  openWorkspace,
  resolveTargets,
} from '../../data/dvc/workspace.js';
import type { RemoteAccess } from '../../data/remote/open.js';
import { pullData, pushData } from '../../data/sync.js';
import { refreshData } from '../../data/refresh.js';
import { loadConfig } from '../../config/load.js';
import { dataChangesAgainst } from '../../data/diff/against.js';
import { renderSection } from '../../report/markdown.js';
import { dataChangesSection } from '../../report/sections/data-changes.js';
import { accessFromEnv, parseTimeout } from '../../storage/access.js';
import { say, show } from '../common.js';

/**
 * How to reach a remote, from the environment by the one rule every store
 * follows (pipeline/storage/access.ts): MLOPS_GCS_CREDENTIALS, else
 * GOOGLE_APPLICATION_CREDENTIALS; MLOPS_GCS_ENDPOINT or STORAGE_EMULATOR_HOST;
 * MLOPS_REMOTE_TIMEOUT. Not in .dvc/config: DVC refuses keys it does not know there.
 */
export function remoteAccessFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  flags: { timeout?: number; endpoint?: string } = {},
): RemoteAccess {
  return accessFromEnv(env, flags);
}

/** `--timeout SECONDS`, as milliseconds; it wins over MLOPS_REMOTE_TIMEOUT. */
export const timeoutOption = (value: string) => parseTimeout(value, '--timeout');
export const TIMEOUT_HELP =
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
      const index = await indexPointers(ws);
      for (const path of paths) {
        const r = await addData(ws, path, index);
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
      access: remoteAccessFromEnv(process.env, { timeout: opts.timeout }),
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
        access: remoteAccessFromEnv(process.env, { timeout: opts.timeout }),
      });
      say('pull', `${r.transferred} downloaded, ${r.skipped} already cached, from ${r.remote}`);
      for (const path of r.written) say('checkout', path);
    });

  data
    .command('refresh')
    .description(
      'run data.refresh.run, check the file it writes loads, and record it under data.pointer',
    )
    .option('-c, --config <file>', 'pipeline definition', 'mlops.yaml')
    .option('--push', 'upload the new data to the default remote when it changed')
    .option('--timeout <seconds>', TIMEOUT_HELP, timeoutOption)
    .action(async (opts: { config: string; push?: boolean; timeout?: number }) => {
      const loaded = await loadConfig(opts.config);
      const r = await refreshData(loaded, {
        env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
        push: opts.push
          ? { access: remoteAccessFromEnv(process.env, { timeout: opts.timeout }) }
          : undefined,
      });
      if (!r.changed) {
        say('refresh', `unchanged (md5 ${r.md5}, ${r.rows} rows)`);
        return;
      }
      say(
        'refresh',
        `changed: ${r.oldMd5} → ${r.newMd5}, rows ${r.oldRows ?? '?'} → ${r.rows} (${show(r.pointer)})`,
      );
      if (r.pushed)
        say(
          'push',
          `${r.pushed.transferred} uploaded, ${r.pushed.skipped} already in ${r.pushed.remote}`,
        );
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
      const found = await dataChangesAgainst(
        loaded,
        rev ?? 'HEAD',
        remoteAccessFromEnv(process.env, { timeout: opts.timeout }),
      );
      process.stdout.write(`${renderSection(dataChangesSection(found))}\n`);
    });
}
