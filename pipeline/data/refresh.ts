/**
 * `mlops data refresh`: run the command mlops.yaml names to fetch fresh data,
 * check what it wrote is a dataset the pipeline can load, and record it under
 * the pointer the pipeline reads. Either the new data and pointer are in place,
 * or the old ones are: a failing command or bad output puts the old file back.
 */
import { execFile } from 'node:child_process';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { PipelineError } from '../errors.js';
import { confine } from './dvc/confine.js';
import { hashFile } from './dvc/dos2unix.js';
import { readPointer } from './dvc/pointer.js';
import { addData, openScratch, openWorkspace } from './dvc/workspace.js';
import { formatOf, loadTable, noRows, type ColumnRequest } from './load.js';
import type { RemoteAccess } from './remote/open.js';
import { pushData, type SyncResult } from './sync.js';

export interface RefreshOptions {
  /** PATH and HOME for the command; nothing else of the caller's environment reaches it. */
  env: { PATH?: string; HOME?: string };
  /** Upload the new data to the default remote (or `remote`) when it changed. */
  push?: { access?: RemoteAccess; remote?: string };
}

export type RefreshResult =
  | { changed: false; md5: string; rows: number }
  | {
      changed: true;
      oldMd5: string;
      newMd5: string;
      /** Rows of the old data; undefined when it was not in the workspace. */
      oldRows?: number;
      rows: number;
      pointer: string;
      pushed?: SyncResult;
    };

const STDERR_TAIL = 2000;

function runCommand(command: string, cwd: string, env: RefreshOptions['env'], timeoutMs: number) {
  return new Promise<void>((resolvePromise, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    if (env.PATH !== undefined) clean['PATH'] = env.PATH;
    if (env.HOME !== undefined) clean['HOME'] = env.HOME;
    execFile(
      '/bin/sh',
      ['-c', command],
      { cwd, env: clean, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolvePromise();
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        const tail = String(stderr).trim().slice(-STDERR_TAIL);
        const why = e.killed
          ? `did not finish within ${timeoutMs / 1000} s and was stopped`
          : `exited with status ${String(e.code)}`;
        reject(
          new PipelineError(
            'data',
            `data.refresh.run: \`${command}\` ${why}${tail ? `:\n${tail}` : ''}`,
            { hint: 'The old data and its pointer are unchanged.' },
          ),
        );
      },
    );
  });
}

export async function refreshData(
  configured: LoadedConfig,
  options: RefreshOptions,
): Promise<RefreshResult> {
  const { config, dir } = configured;
  const { data, model } = config;
  const refresh = data.refresh;
  if (!refresh)
    throw new PipelineError(
      'config',
      `${relative(process.cwd(), configured.path) || configured.path}: data.refresh is not set`,
      {
        hint: 'Add data.refresh: { run: "<command>", output: <file> } to mlops.yaml.',
      },
    );
  const pointerFile = resolve(dir, data.pointer);
  const pointer = await readPointer(pointerFile);
  const ws = await openWorkspace(dir);
  const output = await confine(
    { root: ws.root, name: 'the repository' },
    resolve(dir, refresh.output),
    `data.refresh.output "${refresh.output}"`,
  );
  const tracked = await confine(
    { root: ws.root, name: 'the repository' },
    pointer.dataPath,
    `${data.pointer}: path`,
  );
  if (output !== tracked)
    throw new PipelineError(
      'config',
      `data.refresh.output "${refresh.output}" is not the file ${data.pointer} tracks (${relative(dir, pointer.dataPath)})`,
      { hint: 'Point data.refresh.output at the file the pipeline reads.' },
    );
  const label = relative(dir, output) || output;
  const format = formatOf(output, data.format);
  const requests: ColumnRequest[] = data.features.map((f) => ({ name: f.name, type: f.type }));
  requests.push({
    name: data.target,
    type: model.task === 'regression' ? 'numeric' : 'categorical',
  });
  if (data.id && !requests.some((r) => r.name === data.id))
    requests.push({ name: data.id, type: 'categorical' });
  const countRows = async (): Promise<number> => {
    const loaded = await loadTable(output, format, requests, label);
    if (loaded.table.rowCount === 0) throw noRows(label);
    return loaded.table.rowCount;
  };

  const scratch = await openScratch(ws);
  const backup = join(scratch.dir, 'refresh-backup');
  try {
    const existed = await stat(output).then(
      (s) => s.isFile(),
      () => false,
    );
    const oldRows = existed ? await countRows().catch(() => undefined) : undefined;
    if (existed) await copyFile(output, backup);
    const restore = async () => {
      if (existed) await rename(backup, output);
      else await rm(output, { force: true, recursive: true });
    };
    let rows: number;
    let added: Awaited<ReturnType<typeof addData>>;
    try {
      await runCommand(refresh.run, ws.root, options.env, refresh.timeout * 1000);
      const written = await stat(output).catch(() => undefined);
      if (!written)
        throw new PipelineError(
          'data',
          `data.refresh.output "${refresh.output}": the command wrote no file there`,
        );
      if (!written.isFile())
        throw new PipelineError(
          'data',
          `data.refresh.output "${refresh.output}": is not a file; the pipeline reads one file`,
        );
      rows = await countRows();
      const now = await hashFile(output, pointer.kind);
      if (now === pointer.out.md5) return { changed: false, md5: now, rows };
      added = await addData(ws, output);
    } catch (error) {
      await restore();
      throw error;
    }
    const result: RefreshResult = {
      changed: true,
      oldMd5: pointer.out.md5,
      newMd5: added.md5,
      oldRows,
      rows,
      pointer: added.pointer,
    };
    if (options.push)
      result.pushed = await pushData(ws, [await readPointer(added.pointer)], options.push);
    return result;
  } finally {
    await scratch.close();
  }
}
