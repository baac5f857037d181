/**
 * What a user can get wrong about a registry (a lock another process holds, a
 * registry path that is a file, an empty URL, a damaged record, a version that
 * is not one) is a named error with exit 2, never an internal error.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { LocalStore } from '../../pipeline/storage/local.js';
import { fetchVersion, readVersion, registerBundle } from '../../pipeline/registry/registry.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/mlops.js', import.meta.url));
let model: TrainedModel;
let tmp: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function mlops(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'registry', ...args], options);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as Outcome;
    return { code, stdout, stderr };
  }
}

beforeAll(async () => {
  model = await trainPenguins(['split.seed=1']);
  tmp = await mkdtemp(join(tmpdir(), 'mlops-registry-errors-'));
});

afterAll(async () => {
  await model?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('an alias lock held by a live process is exit 2 naming the alias, the lock file and its holder', async () => {
  const registry = join(tmp, 'locked');
  const store = new LocalStore(registry);
  await registerBundle(store, model.modelDir);
  // Two live holders: another mlops (which leaves its name beside the lock) and
  // any other process taking the same lock (which does not).
  const releaseStaging = await store.lock('aliases/staging.json');
  const production = join(registry, 'aliases', 'production.json');
  const releaseProduction = await lockfile.lock(production, {
    realpath: false,
    lockfilePath: `${production}.lock`,
    stale: 10_000,
  });
  let results: Outcome[];
  try {
    results = await Promise.all(
      ['staging', 'production'].map((alias) =>
        mlops(['promote', model.version, alias, '--registry', registry]),
      ),
    );
  } finally {
    await releaseStaging();
    await releaseProduction();
  }
  const [staging, prod] = results;
  expect(staging!.code).toBe(2);
  expect(staging!.stderr).toMatch(
    `error: alias staging in ${registry}: another promotion or rollback holds its lock ${registry}/aliases/staging.json.lock (pid ${process.pid} on host ${hostname()} since `,
  );
  expect(prod!.code).toBe(2);
  expect(prod!.stderr).toMatch(
    `error: alias production in ${registry}: another promotion or rollback holds its lock ${production}.lock (another process`,
  );
  for (const result of results) {
    expect(result.stderr).toMatch(/waited 12 s\nhint: Retry once that process has finished\./);
    expect(result.stderr).toContain('broken 10 s after its holder stops refreshing it');
    expect(result.stderr).not.toContain('internal error');
  }
  // Released, the same promotion goes through.
  expect(
    await mlops(['promote', model.version, 'production', '--registry', registry]),
  ).toMatchObject({ code: 0, stdout: `production: (none) -> ${model.version}\n` });
});

it('every command on a registry path that is a file is exit 2 naming it', async () => {
  const file = join(tmp, 'not-a-registry');
  await writeFile(file, 'a file\n');
  const commands = [
    ['list'],
    ['show', 'abcd'],
    ['register', '--model', model.modelDir],
    ['promote', 'abcd', 'production'],
    ['rollback', 'production'],
    ['fetch', 'abcd', '--to', join(tmp, 'never')],
  ];
  const results = await Promise.all(commands.map((c) => mlops([...c, '--registry', file])));
  for (const [i, result] of results.entries()) {
    expect({ command: commands[i], ...result }).toMatchObject({
      command: commands[i],
      code: 2,
      stderr: `error: registry ${file}: is a file, not a folder\n`,
    });
  }
});

it('an empty registry URL is refused, and an empty MLOPS_REGISTRY means the default registry', async () => {
  const elsewhere = join(tmp, 'elsewhere');
  await mkdir(elsewhere);
  expect(await mlops(['list', '--registry', ''], { cwd: elsewhere })).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/^error: registry URL is empty\nhint: /),
  });
  expect(await mlops(['list', '--registry', 'file://'], { cwd: elsewhere })).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/^error: registry file:\/\/: names no folder\nhint: /),
  });
  // As a workflow sets it for a secret that does not exist: the registry beside
  // the config, not the current folder.
  const config = join(model.root, 'mlops.yaml');
  const result = await mlops(['list', '-c', config], {
    cwd: elsewhere,
    env: { ...process.env, MLOPS_REGISTRY: '' },
  });
  expect(result).toMatchObject({
    code: 0,
    stdout: `no versions registered in ${join(model.root, '.mlops', 'registry')}\n`,
  });
});

it('a damaged record is exit 2 naming its file, even when it parses', async () => {
  const registry = join(tmp, 'damaged');
  await mkdir(join(registry, 'aliases'), { recursive: true });
  const alias = join(registry, 'aliases', 'production.json');
  // Valid JSON and the right shape, but a version that is not a content hash.
  await writeFile(
    alias,
    JSON.stringify({
      format: 'mlops-registry-alias/1',
      alias: 'production',
      version: '../../etc',
      previous: null,
      stack: ['../../etc'],
      log: [],
      updated_at: '2026-01-01T00:00:00.000Z',
    }),
  );
  await writeFile(join(registry, 'aliases', 'staging.json'), '{"format": ');
  for (const name of ['production', 'staging'])
    expect(await mlops(['show', name, '--registry', registry])).toMatchObject({
      code: 2,
      stderr: `error: ${registry}/aliases/${name}.json: not a registry record\n`,
    });
});

it('a version that is not a content hash is a usage error, before any key is formed', async () => {
  const store = new LocalStore(join(tmp, 'versions'));
  for (const version of ['../x', 'x/y', 'ABCD', '']) {
    for (const attempt of [
      () => readVersion(store, version),
      () => fetchVersion(store, version, join(tmp, 'never')),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PipelineError);
      expect((error as PipelineError).code).toBe('usage');
      expect((error as PipelineError).message).toBe(
        `"${version}" is not a model version (a content hash: 4 to 64 hex digits, as \`mlops registry list\` shows)`,
      );
    }
  }
});
