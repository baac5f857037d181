/**
 * A repository with a bare "origin", and small model bundles to record: the
 * four bundle files with a valid metadata.json (the store reads the version and
 * name from it and hashes the bytes; it never loads the network).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd })).stdout;
}

export interface Repos {
  root: string;
  origin: string;
  /** A clone of origin with one commit on main. */
  work: string;
  clone(name: string): Promise<string>;
  model(
    version: string,
    weights?: string,
  ): Promise<{ dir: string; metrics: string; bench: string }>;
  remove(): Promise<void>;
}

export async function makeRepos(): Promise<Repos> {
  const root = await mkdtemp(join(tmpdir(), 'mlops-production-'));
  const origin = join(root, 'origin.git');
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
  const clone = async (name: string) => {
    const dir = join(root, name);
    await run('git', ['clone', '--quiet', origin, dir]);
    return dir;
  };
  const work = await clone('work');
  await writeFile(join(work, 'README.md'), 'penguins\n');
  await git(work, 'add', 'README.md');
  await git(
    work,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    'commit',
    '--quiet',
    '-m',
    'first',
  );
  await git(work, 'push', '--quiet', 'origin', 'main');
  return {
    root,
    origin,
    work,
    clone,
    async model(version, weights = version) {
      const dir = join(root, 'models', version);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'weights.bin'), `weights of ${weights}`);
      await writeFile(join(dir, 'model.json'), '{}\n');
      await writeFile(join(dir, 'preprocess.json'), '{}\n');
      await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata(version)));
      const metrics = join(dir, 'metrics.json');
      // A metrics.json as `mlops evaluate` writes it, so the registry takes it too.
      await writeFile(
        metrics,
        JSON.stringify({
          model_version: version,
          name: 'penguins-species',
          task: 'classification',
          created_at: '2026-01-01T00:00:00.000Z',
          split: 'test',
          rows: 10,
          metrics: { accuracy: 0.9, macro_f1: 0.95, log_loss: 0.1 },
          gates: [],
          passed: null,
          baseline: null,
        }),
      );
      const bench = join(dir, 'bench.json');
      await writeFile(bench, JSON.stringify({ model_version: version, metrics: { p99_ms: 2 } }));
      return { dir, metrics, bench };
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

function metadata(version: string) {
  return {
    format: 'mlops-model/1',
    name: 'penguins-species',
    model_version: version,
    task: 'classification',
    created_at: '2026-01-01T00:00:00.000Z',
    features: [],
    target: { name: 'Species', classes: ['Adelie'] },
    params: {},
    training: {
      history: [],
      best_epoch: 0,
      stopped_early: false,
      seconds: 0,
      samples_per_second: 0,
      rows: { train: 0, validation: 0, test: 0 },
      trials: [],
    },
    data: { path: 'data', rows_read: 0, dropped_rows: 0, unlabelled_rows: 0, violations: [] },
    validation_metrics: {},
    lineage: {
      git_commit: null,
      git_dirty: null,
      data_path: 'data',
      data_md5: '0',
      config_hash: '0',
      code_hash: '0',
      backend: 'cpu',
      seed: 1,
      tfjs_version: '4',
      node_version: '20',
      timings: {},
    },
  };
}
