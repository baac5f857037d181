/**
 * A bundle is served only when its files belong together and it computes finite
 * numbers: a start with such a bundle is not ready, a reload to one keeps the
 * old model serving and ready.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictionServer } from '../../pipeline/serve/server.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { PENGUIN, switchLink } from './fixtures.js';

// Response bodies are what the assertions check, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let a: TrainedModel;
let b: TrainedModel;
let tmp: string;

beforeAll(async () => {
  a = await trainPenguins(['split.seed=41']);
  // Another shape of network: its metadata cannot pass for a's.
  b = await trainPenguins(['split.seed=42', 'model.layers=[8]']);
  tmp = await mkdtemp(join(tmpdir(), 'mlops-model-checks-'));
});

afterAll(async () => {
  await Promise.all([a?.cleanup(), b?.cleanup()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A copy of `from` with its weights.bin made all NaN. */
async function nanWeights(from: string, name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(from, dir, { recursive: true });
  const size = (await readFile(join(dir, 'weights.bin'))).byteLength;
  await writeFile(
    join(dir, 'weights.bin'),
    Buffer.from(new Float32Array(size / 4).fill(NaN).buffer),
  );
  return dir;
}

/** a's model files beside b's metadata.json. */
async function foreignMetadata(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(a.modelDir, dir, { recursive: true });
  await cp(join(b.modelDir, 'metadata.json'), join(dir, 'metadata.json'));
  return dir;
}

async function serveFrom(link: string) {
  const server = await createPredictionServer({ modelDir: link, token: 'tok' });
  const url = await server.listen('127.0.0.1', 0);
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, json: (await res.json()) as Json };
  };
  const predict = async () => {
    const res = await fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: JSON.stringify(PENGUIN),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const reload = async () => {
    const res = await fetch(`${url}/admin/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok' },
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  return { server, get, predict, reload };
}

describe('a model with NaN weights', () => {
  it('is refused at start: not ready, naming weights.bin', async () => {
    const { server, get, predict } = await serveFrom(await nanWeights(a.modelDir, 'nan-start'));
    try {
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json.error.message).toMatch(/weights\.bin: weight \S+ holds NaN/);
      expect((await predict()).status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it('is refused on reload: the old model keeps serving and ready, every predict succeeds', async () => {
    const link = join(tmp, 'current-nan');
    await switchLink(link, a.modelDir);
    const { server, get, predict, reload } = await serveFrom(link);
    try {
      await switchLink(link, await nanWeights(a.modelDir, 'nan-reload'));
      const res = await reload();
      expect(res.status).toBe(409);
      expect(res.json.error.message).toMatch(
        new RegExp(`weights\\.bin: weight \\S+ holds NaN.*; still serving ${a.version}`),
      );
      expect(await get('/readyz')).toMatchObject({
        status: 200,
        json: { model_version: a.version },
      });
      const answer = await predict();
      expect(answer.status).toBe(200);
      expect(answer.json.model_version).toBe(a.version);
    } finally {
      await server.close();
    }
  });
});

describe("another model's metadata.json beside a model", () => {
  it('is refused at start, naming metadata.json and what does not match', async () => {
    const { server, get } = await serveFrom(await foreignMetadata('foreign-start'));
    try {
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json.model_version).toBeNull();
      expect(ready.json.error.message).toMatch(
        new RegExp(
          `foreign-start/metadata\\.json: params give hidden layers \\[8\\], model\\.json has \\[\\d+\\]; it is not the metadata of the model beside it \\(model_version ${b.version}\\)`,
        ),
      );
    } finally {
      await server.close();
    }
  });

  it('is refused on reload, and the model serving keeps its own version', async () => {
    const link = join(tmp, 'current-foreign');
    await switchLink(link, a.modelDir);
    const { server, get, reload } = await serveFrom(link);
    try {
      await switchLink(link, await foreignMetadata('foreign-reload'));
      const res = await reload();
      expect(res.status).toBe(409);
      expect(res.json.error.message).toMatch(/foreign-reload\/metadata\.json: /);
      expect(await get('/readyz')).toMatchObject({
        status: 200,
        json: { model_version: a.version },
      });
    } finally {
      await server.close();
    }
  });

  it('is refused when its features or classes are not the model’s', async () => {
    const dir = join(tmp, 'renamed-feature');
    await cp(a.modelDir, dir, { recursive: true });
    const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as Json;
    metadata.features[0].name = 'Continent';
    await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata));
    const { server, get } = await serveFrom(dir);
    try {
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json.error.message).toMatch(
        /renamed-feature\/metadata\.json: features Continent \(categorical\), .* differ from preprocess\.json's Island \(categorical\)/,
      );
    } finally {
      await server.close();
    }
  });

  it('its own metadata passes: the models the pipeline writes load', async () => {
    const { server, get } = await serveFrom(b.modelDir);
    try {
      expect(await get('/readyz')).toMatchObject({
        status: 200,
        json: { model_version: b.version },
      });
    } finally {
      await server.close();
    }
  });
});
