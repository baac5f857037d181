import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { loadBundle } from '../../pipeline/model/load.js';
import { predictRows } from '../../pipeline/predict/predict.js';
import type { MetricsFile } from '../../pipeline/report/metrics-file.js';
import { openRegistry } from '../../pipeline/registry/open.js';
import { PreconditionFailed } from '../../pipeline/storage/failure.js';
import { GcsStore } from '../../pipeline/storage/gcs.js';
import { LocalStore } from '../../pipeline/storage/local.js';
import type { Store, StoredObject } from '../../pipeline/storage/store.js';
import {
  fetchVersion,
  listVersions,
  promote,
  readAlias,
  registerBundle,
  resolveVersion,
  rollback,
} from '../../pipeline/registry/registry.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.js';
import { startGcsFaultProxy } from '../support/gcs-fault-proxy.js';

const run = promisify(execFile);
const models: TrainedModel[] = [];
let tmp: string;
let gcs: GcsEmulator;

beforeAll(async () => {
  // Three real versions: the seed is part of the config, so of the content hash.
  for (const seed of [1, 2, 3]) models.push(await trainPenguins([`split.seed=${seed}`]));
  tmp = await mkdtemp(join(tmpdir(), 'mlops-registry-'));
  gcs = await startGcsEmulator(['models']);
});

afterAll(async () => {
  await gcs?.close();
  await Promise.all(models.map((m) => m.cleanup()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

let storeCount = 0;
const stores: Record<string, () => Store> = {
  local: () => new LocalStore(join(tmp, `store-${++storeCount}`)),
  gcs: () =>
    new GcsStore(
      { bucket: 'models', prefix: `registry-${++storeCount}` },
      { apiEndpoint: gcs.endpoint },
    ),
};

describe.each(Object.keys(stores))('%s store', (kind) => {
  const open = stores[kind]!;

  it('a conditional write fails once another writer replaced the object', async () => {
    const store = open();
    const first = await store.write('aliases/x.json', 'a', { ifGeneration: null });
    await expect(store.write('aliases/x.json', 'b', { ifGeneration: null })).rejects.toThrow(
      PreconditionFailed,
    );
    const second = await store.write('aliases/x.json', 'b', { ifGeneration: first });
    await expect(store.write('aliases/x.json', 'c', { ifGeneration: first })).rejects.toThrow(
      PreconditionFailed,
    );
    const read = await store.read('aliases/x.json');
    expect(read?.data.toString()).toBe('b');
    expect(read?.generation).toBe(second);
  });

  it('registers versions by content hash, once, and lists them', async () => {
    const store = open();
    const [a, b] = models;
    const first = await registerBundle(store, a!.modelDir, await evaluation(a!));
    expect(first.added).toBe(true);
    expect(first.record.version).toBe(a!.version);
    expect(first.record.metrics?.accuracy).toBeGreaterThan(0.5);
    expect(first.record.lineage.code_hash).toMatch(/^[0-9a-f]+$/);
    expect((await registerBundle(store, a!.modelDir)).added).toBe(false);
    await registerBundle(store, b!.modelDir);
    const versions = (await listVersions(store)).map((r) => r.version).sort();
    expect(versions).toEqual([a!.version, b!.version].sort());
    expect((await resolveVersion(store, a!.version.slice(0, 6))).version).toBe(a!.version);
  });

  it('promotes, records the previous version, and rolls back through it', async () => {
    const store = open();
    const [a, b] = models;
    for (const m of [a!, b!]) await registerBundle(store, m.modelDir);
    expect(await promote(store, a!.version, 'production')).toMatchObject({
      from: null,
      changed: true,
    });
    expect(await promote(store, b!.version, 'production')).toMatchObject({ from: a!.version });
    expect((await readAlias(store, 'production'))?.previous).toBe(a!.version);
    expect((await resolveVersion(store, 'production')).version).toBe(b!.version);
    expect(await rollback(store, 'production')).toMatchObject({
      from: b!.version,
      version: a!.version,
    });
    expect((await resolveVersion(store, 'production')).version).toBe(a!.version);
    await expect(rollback(store, 'production')).rejects.toThrow(/no earlier version/);
    // staging is a separate alias; a typo is refused, not created.
    await expect(resolveVersion(store, 'staging')).rejects.toThrow(/points at no version/);
    await expect(promote(store, a!.version, 'prod')).rejects.toThrow(PipelineError);
  });

  it('two concurrent promotions are both applied, neither lost', async () => {
    const store = open();
    const [a, b, c] = models;
    for (const m of [a!, b!, c!]) await registerBundle(store, m.modelDir);
    await promote(store, a!.version, 'production');
    const moves = await Promise.all([
      promote(store, b!.version, 'production'),
      promote(store, c!.version, 'production'),
    ]);
    const alias = (await readAlias(store, 'production'))!;
    // One of them ran second and saw the other's version as its previous one.
    expect(moves.map((m) => m.from).sort()).toEqual([a!.version, alias.stack[1]].sort());
    expect(alias.stack.slice(1).sort()).toEqual(
      [a!.version, b!.version, c!.version].filter((v) => v !== alias.version).sort(),
    );
    expect(alias.log.filter((e) => e.action === 'promote')).toHaveLength(3);
    await rollback(store, 'production');
    await rollback(store, 'production');
    expect((await readAlias(store, 'production'))?.version).toBe(a!.version);
  });

  it('fetches a version by content hash, checked file by file, and it predicts', async () => {
    const store = open();
    const [a] = models;
    await registerBundle(store, a!.modelDir);
    const dir = join(tmp, `fetched-${kind}`);
    const result = await fetchVersion(store, a!.version, dir);
    expect(result).toMatchObject({ record: { version: a!.version }, written: true });
    const fetched = await loadBundle(dir);
    const original = await loadBundle(a!.modelDir);
    const rows = JSON.parse(await readFile(join(a!.root, 'data/penguins.json'), 'utf8')).slice(
      0,
      5,
    );
    for (const row of rows) delete row.Species;
    expect(predictRows(fetched, rows)).toEqual(predictRows(original, rows));
    expect(await fetchVersion(store, 'ffffffffffff', dir)).toBeUndefined();
    await store.write(`versions/${a!.version}/files/weights.bin`, 'damaged');
    const again = join(tmp, `fetched-again-${kind}`);
    await expect(fetchVersion(store, a!.version, again)).rejects.toThrow(
      /does not match the sha256/,
    );
    // A failed fetch leaves no folder behind.
    await expect(readdir(again)).rejects.toThrow(/ENOENT/);
    // The folder holding the good bundle is left as it is, and the fetch into it is a no-op.
    expect(await fetchVersion(store, a!.version, dir)).toMatchObject({ written: false });
    expect((await loadBundle(dir)).metadata.model_version).toBe(a!.version);
  });
});

/**
 * A GCS store that counts the conditional writes GCS refused (412). The first
 * `racers` reads of the key `raceOn` wait for each other, so every racer starts from the
 * same generation and all but one conditional write must be refused.
 */
class CountingGcsStore extends GcsStore {
  preconditionFailures = 0;
  racers = 0;
  raceOn = '';
  private waiting: (() => void)[] = [];

  protected override async readOnce(key: string): Promise<StoredObject | undefined> {
    const read = await super.readOnce(key);
    if (key === this.raceOn && this.racers > 0) {
      this.racers--;
      const arrived = new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.racers === 0) for (const release of this.waiting.splice(0)) release();
      await arrived;
    }
    return read;
  }

  protected override async writeOnce(
    key: string,
    data: Uint8Array,
    ifGeneration: string | null | undefined,
  ): Promise<string> {
    try {
      return await super.writeOnce(key, data, ifGeneration);
    } catch (error) {
      if (error instanceof PreconditionFailed) this.preconditionFailures++;
      throw error;
    }
  }
}

it('the GCS store goes through generation preconditions (412) when promotions race', async () => {
  const opened = openRegistry('gs://models/race/registry', { gcs: { apiEndpoint: gcs.endpoint } });
  expect(opened.url).toBe('gs://models/race/registry');
  const store = new CountingGcsStore(
    { bucket: 'models', prefix: 'race/registry' },
    { apiEndpoint: gcs.endpoint },
  );
  for (const m of models) await registerBundle(store, m.modelDir);
  store.raceOn = 'aliases/staging.json';
  store.racers = models.length;
  await Promise.all(models.map((m) => promote(store, m.version, 'staging')));
  expect(store.preconditionFailures).toBeGreaterThan(0);
  const alias = (await readAlias(opened, 'staging'))!;
  expect([...alias.stack].sort()).toEqual(models.map((m) => m.version).sort());
  // Objects sit under the URL's prefix in the bucket.
  const [exists] = await gcs.storage
    .bucket('models')
    .file('race/registry/aliases/staging.json')
    .exists();
  expect(exists).toBe(true);
});

it('a bucket the account may not use is a remote error naming the store, for every operation', async () => {
  // What GCS answers an account without the role on the bucket, to every request.
  const denied = await startGcsFaultProxy(gcs.endpoint);
  denied.faults.push({
    path: /./,
    action: 403,
    times: Infinity,
    message: 'deployer@p.iam.gserviceaccount.com does not have storage.objects access',
  });
  try {
    const store = openRegistry('gs://models/locked', { gcs: { apiEndpoint: denied.endpoint } });
    for (const attempt of [
      () => listVersions(store),
      () => readAlias(store, 'production'),
      () => registerBundle(store, models[0]!.modelDir),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PipelineError);
      expect((error as PipelineError).code).toBe('remote');
      expect((error as PipelineError).message).toMatch(
        /^gs:\/\/models\/locked\/\S+: .*does not have storage\.objects access/,
      );
      expect((error as PipelineError).hint).toContain('roles/storage.objectUser');
    }
    // Refused, not failed half-way: nothing reached the bucket.
    const [written] = await gcs.storage.bucket('models').getFiles({ prefix: 'locked/' });
    expect(written).toEqual([]);
  } finally {
    await denied.close();
  }
});

it('refuses to register a bundle whose model_version is not a content hash, writing nothing', async () => {
  const root = join(tmp, 'store-bad-version');
  const store = new LocalStore(root);
  for (const version of ['x/y', '../escape', '']) {
    const dir = join(tmp, `bad-version-${version.length}`);
    await cp(models[0]!.modelDir, dir, { recursive: true });
    const path = join(dir, 'metadata.json');
    const metadata = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...metadata, model_version: version }));
    const error = await registerBundle(store, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe(
      `${path}: model_version "${version}" is not a content hash`,
    );
  }
  expect(await store.list('')).toEqual([]);
});

it('refuses registry URLs it cannot open, naming them', () => {
  expect(() => openRegistry('s3://bucket/x')).toThrow(
    /registry s3:\/\/bucket\/x: s3:\/\/ is not supported/,
  );
  expect(() => openRegistry('gs://Bad_Bucket!/x')).toThrow(/is not a bucket name/);
});

/** The test metrics `mlops run` wrote beside the model: the bundle carries none. */
async function evaluation(m: TrainedModel) {
  const path = join(m.root, 'reports', 'metrics.json');
  return { path, ...(JSON.parse(await readFile(path, 'utf8')) as MetricsFile) };
}

async function headline(m: TrainedModel): Promise<string> {
  const { metrics } = await evaluation(m);
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  return ['accuracy', 'macro_f1', 'log_loss'].map((k) => `${k} ${f(metrics[k]!)}`).join(', ');
}

describe('mlops registry', () => {
  const mlops = (args: string[]) =>
    run(process.execPath, ['bin/mlops.js', 'registry', ...args], { cwd: process.cwd() });

  it('registers, lists, promotes from two processes at once and rolls back', async () => {
    const registry = join(tmp, 'cli-store');
    const [a, b, c] = models;
    const register = ['register', '--model', a!.modelDir, '--metrics', (await evaluation(a!)).path];
    expect((await mlops([...register, '--registry', registry])).stdout).toBe(
      `registered ${a!.version} (penguins-species; ${await headline(a!)}) in ${registry}\n`,
    );
    const store = new LocalStore(registry);
    for (const m of [b!, c!]) await registerBundle(store, m.modelDir);
    await promote(store, a!.version, 'production');
    const results = await Promise.all(
      [b!, c!].map((m) => mlops(['promote', m.version, 'production', '--registry', registry])),
    );
    expect(results.map((r) => r.stdout).join('')).toMatch(
      /production: \S+ -> \S+\n.*production: \S+ -> \S+/s,
    );
    const list = (await mlops(['list', '--registry', registry])).stdout;
    expect(list).toMatch(/^VERSION\s+NAME\s+TRAINED\s+TEST METRICS\s+ALIASES$/m);
    for (const m of models) expect(list).toContain(m.version);
    expect(list).toMatch(/ production\n/);
    await rollback(store, 'production');
    const back = (await mlops(['rollback', 'production', '--registry', registry])).stdout;
    expect(back).toBe(
      `production: ${[b!, c!].find((m) => back.includes(`: ${m.version}`))!.version} -> ${a!.version} (rolled back)\n`,
    );
    const failed = await mlops(['rollback', 'production', '--registry', registry]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringMatching(/no earlier version/) });
  });

  it('fetch with no version brings the model this commit would train, when registered', async () => {
    const registry = join(tmp, 'cli-fetch');
    const [a] = models;
    const args = [
      '--config',
      join(a!.root, 'mlops.yaml'),
      '--set',
      'model.epochs=15',
      '--set',
      'split.seed=1',
    ];
    const to = join(tmp, 'cli-fetched');
    expect((await mlops(['fetch', '--to', to, '--registry', registry, ...args])).stdout).toMatch(
      `${a!.version} is not registered`,
    );
    await registerBundle(new LocalStore(registry), a!.modelDir);
    expect((await mlops(['fetch', '--to', to, '--registry', registry, ...args])).stdout).toMatch(
      `fetched ${a!.version}`,
    );
    expect((await loadBundle(to)).metadata.model_version).toBe(a!.version);
  });
});
