/**
 * Throwaway project folders for tests: a copy of the files a pipeline needs in a
 * temporary directory, so a test never writes artifacts/ or reports/ into the
 * repository, plus the `mlops` command run there as a user runs it.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { md5File } from '../../pipeline/util/hash.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MLOPS_BIN = join(REPO, 'bin', 'mlops.js');

export interface TempProject {
  dir: string;
  path(rel: string): string;
  write(rel: string, content: string | Uint8Array): Promise<string>;
  read(rel: string): Promise<string>;
  readJson<T = unknown>(rel: string): Promise<T>;
  exists(rel: string): Promise<boolean>;
  /** Write `content` to `rel` and a DVC pointer `pointer` that records its md5. */
  writeDataset(rel: string, content: string | Uint8Array, pointer?: string): Promise<void>;
  /** Point `pointer` at the file `rel` already in the project. */
  writePointer(rel: string, pointer?: string): Promise<void>;
  remove(): Promise<void>;
}

/** A temporary folder holding copies of `copies` (paths relative to the repository). */
export async function tempProject(copies: readonly string[] = []): Promise<TempProject> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-test-'));
  for (const rel of copies) await cp(join(REPO, rel), join(dir, rel), { recursive: true });
  const path = (rel: string) => join(dir, rel);
  const project: TempProject = {
    dir,
    path,
    async write(rel, content) {
      await mkdir(dirname(path(rel)), { recursive: true });
      await writeFile(path(rel), content);
      return path(rel);
    },
    read: (rel) => readFile(path(rel), 'utf8'),
    async readJson<T>(rel: string) {
      return JSON.parse(await readFile(path(rel), 'utf8')) as T;
    },
    async exists(rel) {
      return stat(path(rel)).then(
        () => true,
        () => false,
      );
    },
    async writeDataset(rel, content, pointer = 'data.dvc') {
      await project.write(rel, content);
      await project.writePointer(rel, pointer);
    },
    async writePointer(rel, pointer = 'data.dvc') {
      const md5 = await md5File(path(rel));
      const size = (await stat(path(rel))).size;
      const fromPointer = relative(dirname(path(pointer)), path(rel));
      await project.write(
        pointer,
        `outs:\n- md5: ${md5}\n  size: ${size}\n  hash: md5\n  path: ${fromPointer}\n`,
      );
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return project;
}

/** The bundled penguins pipeline: mlops.yaml, data.dvc and data/. */
export function penguinsProject(): Promise<TempProject> {
  return tempProject(['mlops.yaml', 'data.dvc', 'data']);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/mlops.js ...args` with `cwd`, the way a user runs it (no TTY, no CI variable). */
export function runMlops(
  args: readonly string[],
  options: { cwd: string; stdin?: string },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env };
    delete env['CI'];
    const child = spawn(process.execPath, [MLOPS_BIN, ...args], { cwd: options.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Penguins rows as the data file holds them. */
export async function penguinRows(): Promise<Record<string, unknown>[]> {
  return JSON.parse(await readFile(join(REPO, 'data', 'penguins.json'), 'utf8')) as Record<
    string,
    unknown
  >[];
}
