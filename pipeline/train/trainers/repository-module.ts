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
import { pathToFileURL } from 'node:url';
import type { PipelineError } from '../../errors.js';

/** Imports resolved to the pipeline's own copies: one tfjs, and a zod whose schemas the pipeline reads. */
const SHARED = /^(@tensorflow\/tfjs-(core|layers)|zod)$/;

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
  let result: Esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: [resolve(dir, file)],
      bundle: true,
      write: false,
      metafile: true,
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
          },
        },
      ],
    });
  } catch (error) {
    const first = (error as { errors?: Esbuild.Message[] }).errors?.[0];
    if (!first) throw fail(String(error), error);
    const at = first.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw fail(`${at}${first.text}`, error);
  }
  const files = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith('file:'))
    .map((f) => relative(dir, resolve(dir, f)).split('\\').join('/'))
    .sort();
  const folder = await mkdtemp(join(tmpdir(), 'mlops-model-'));
  let exports: Record<string, unknown>;
  try {
    const bundle = join(folder, 'module.mjs');
    await writeFile(bundle, result.outputFiles[0]!.contents);
    exports = (await import(/* @vite-ignore */ pathToFileURL(bundle).href)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw fail(`loading it threw: ${(error as Error).message ?? error}`, error);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return { exports, files };
}
