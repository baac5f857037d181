/**
 * A TypeScript or JavaScript file of the team's repository, imported: a model
 * module (kind tfjs) or a trainer of the team's own.
 *
 * esbuild (already the bundler of the CLI and the actions) compiles it and its
 * local imports into one temporary ES module, so TypeScript needs no loader.
 * Its TensorFlow.js and zod imports are pointed at the pipeline's own copies:
 * one tfjs instance, one backend, a model that the pipeline can train and
 * save, and zod schemas the pipeline can read.
 */
import type * as Esbuild from 'esbuild';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PipelineError } from '../../errors.js';

/** Imports resolved to the pipeline's own copies: one tfjs, and a zod whose schemas the pipeline reads. */
const SHARED = /^(@tensorflow\/tfjs-(core|layers)|zod)$/;

/** The public entry a trainer file imports defineTrainer from (package.json `exports`). */
const TRAINER_ENTRY = /^mlops-pipeline\/trainer$/;
const TRAINER_ENTRY_FILE = fileURLToPath(new URL('./define-trainer.ts', import.meta.url));

/** Makes the error that names the file for the one who wrote it. */
export type ModuleFailure = (message: string, cause?: unknown) => PipelineError;

export interface RepositoryModule {
  exports: Record<string, unknown>;
  /** Repository files (relative to `dir`) the module is made of: it and its local imports. */
  files: string[];
}

/** Bundles `file` (relative to `dir`) with its local imports and imports the bundle. */
export async function importRepositoryModule(
  dir: string,
  file: string,
  fail: ModuleFailure,
): Promise<RepositoryModule> {
  // A name the bundler of the actions cannot follow: esbuild itself cannot be bundled.
  const esbuildName = 'esbuild';
  const esbuild = (await import(/* @vite-ignore */ esbuildName)) as typeof Esbuild;
  const require = createRequire(import.meta.url);
  const folder = await mkdtemp(join(tmpdir(), 'mlops-model-'));
  const bundle = join(folder, 'module.mjs');
  let result: Esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: [resolve(dir, file)],
      bundle: true,
      write: false,
      metafile: true,
      // Written beside the bundle's real place, so the map's paths lead back to the repository's files.
      outfile: bundle,
      sourcemap: 'inline',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      plugins: [
        {
          name: 'pipeline-tfjs',
          setup(build: Esbuild.PluginBuild) {
            build.onResolve({ filter: SHARED }, (args: Esbuild.OnResolveArgs) => ({
              path: pathToFileURL(require.resolve(args.path)).href,
              external: true,
            }));
            build.onResolve({ filter: TRAINER_ENTRY }, () => ({ path: TRAINER_ENTRY_FILE }));
          },
        },
      ],
    });
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    const first = (error as { errors?: Esbuild.Message[] }).errors?.[0];
    if (!first) throw fail(String(error), error);
    const at = first.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw fail(`${at}${first.text}`, error);
  }
  const files = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith('file:'))
    .map((f) => resolve(dir, f))
    .filter((f) => f !== TRAINER_ENTRY_FILE)
    .map((f) => relative(dir, f).split('\\').join('/'))
    .sort();
  let exports: Record<string, unknown>;
  try {
    // A throw in the team's code then names its own file and line, not the bundle's.
    process.setSourceMapsEnabled(true);
    await writeFile(bundle, result.outputFiles[0]!.contents);
    exports = (await import(/* @vite-ignore */ pathToFileURL(bundle).href)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    const at = thrownAt(error, dir);
    throw fail(
      `loading it threw${at ? ` at ${at}` : ''}: ${(error as Error).message ?? error}`,
      error,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return { exports, files };
}

/**
 * Where in the repository's files an error was thrown: `trainers/knn.ts:14:11`,
 * read from its stack (mapped through the bundle's source map), or undefined.
 */
export function thrownAt(error: unknown, dir: string): string | undefined {
  const stack = (error as Error | undefined)?.stack ?? '';
  for (const match of stack.matchAll(/\(?(file:\/\/[^\s)]+|\/[^\s):]+):(\d+):(\d+)\)?/g)) {
    const path = match[1]!.startsWith('file:') ? fileURLToPath(match[1]!) : match[1]!;
    const rel = relative(dir, path);
    if (rel && !rel.startsWith('..') && !rel.includes('node_modules'))
      return `${rel.split('\\').join('/')}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
