/**
 * `dvc` and `mlops` run as a user runs them, for the tests that check the two
 * against each other on the same repositories.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { dvcBinary } from './peers.js';

const run = promisify(execFile);
const MLOPS = resolve('bin/mlops.js');

/** `dvc` with no analytics and no prompt; its site cache under `scratch`. Throws on a non-zero exit. */
export async function runDvc(cwd: string, scratch: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(dvcBinary(), args, {
    cwd,
    env: {
      ...process.env,
      DVC_NO_ANALYTICS: '1',
      DVC_SITE_CACHE_DIR: join(scratch, 'site-cache'),
      // No credentials here: google-auth need not probe for a GCE metadata server.
      NO_GCE_CHECK: 'true',
    },
  });
  return stdout;
}

/** `mlops` with `env` added to this process's; `output` is what it printed on stdout and stderr. */
export async function runMlopsWith(
  env: Record<string, string>,
  cwd: string,
  ...args: string[]
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('node', [MLOPS, ...args], {
      cwd,
      env: { ...process.env, ...env },
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}${e.stderr}` };
  }
}

/** `mlops`; `output` is what it printed on stdout and stderr. */
export function runMlops(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; output: string }> {
  return runMlopsWith({}, cwd, ...args);
}
