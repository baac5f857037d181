/**
 * profile.json is carried by new bundles and optional for old ones: its
 * digest, the registry and the deploy check accept a bundle without it, and
 * one with it keeps it through the registry.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { modelDigest } from '../../pipeline/model/digest.js';
import { checkBundleFiles } from '../../pipeline/model/files.js';
import { fetchVersion, registerBundle } from '../../pipeline/registry/registry.js';
import { LocalStore } from '../../pipeline/storage/local.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';

let model: TrainedModel;
let tmp: string;

beforeAll(async () => {
  model = await trainPenguins();
  tmp = await mkdtemp(join(tmpdir(), 'mlops-profile-'));
});

afterAll(async () => {
  await model?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('a new bundle has profile.json in its digest and keeps it through the registry', async () => {
  const digest = await modelDigest(model.modelDir);
  expect(Object.keys(digest.files)).toContain('profile.json');
  const store = new LocalStore(join(tmp, 'registry-new'));
  const { record } = await registerBundle(store, model.modelDir);
  expect(Object.keys(record.files)).toContain('profile.json');
  const out = join(tmp, 'fetched-new');
  await fetchVersion(store, model.version, out);
  expect((await readdir(out)).sort()).toEqual([
    'metadata.json',
    'model.json',
    'preprocess.json',
    'profile.json',
    'weights.bin',
  ]);
});

it('a bundle without profile.json digests, registers, fetches and passes the deploy check', async () => {
  const old = join(tmp, 'old-model');
  await cp(model.modelDir, old, { recursive: true });
  await rm(join(old, 'profile.json'));
  const digest = await modelDigest(old);
  expect(Object.keys(digest.files).sort()).toEqual([
    'metadata.json',
    'model.json',
    'preprocess.json',
    'weights.bin',
  ]);
  expect((await checkBundleFiles(old)).model_version).toBe(model.version);
  const store = new LocalStore(join(tmp, 'registry-old'));
  await registerBundle(store, old);
  const out = join(tmp, 'fetched-old');
  await fetchVersion(store, model.version, out);
  expect((await readdir(out)).sort()).toEqual([
    'metadata.json',
    'model.json',
    'preprocess.json',
    'weights.bin',
  ]);
});
