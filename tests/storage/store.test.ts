/**
 * The store every caller shares: compare-and-swap, streaming, listing and the
 * one URL parser, on a local folder and on fake-gcs-server (a GCS emulator)
 * through the real @google-cloud/storage client.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore as openRemote } from '../../pipeline/data/remote/open.js';
import { PipelineError } from '../../pipeline/errors.js';
import { openRegistry } from '../../pipeline/registry/open.js';
import { collect } from '../../pipeline/storage/deadline.js';
import { PreconditionFailed } from '../../pipeline/storage/failure.js';
import { GcsStore } from '../../pipeline/storage/gcs.js';
import { LocalStore } from '../../pipeline/storage/local.js';
import type { Store } from '../../pipeline/storage/store.js';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.js';

let tmp: string;
let gcs: GcsEmulator;
let count = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'storage-store-'));
  gcs = await startGcsEmulator(['bucket']);
});

afterAll(async () => {
  await gcs?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const stores: Record<string, () => Store> = {
  local: () => new LocalStore(join(tmp, `store-${++count}`)),
  gcs: () =>
    new GcsStore(
      { bucket: 'bucket', prefix: `store-${++count}` },
      { apiEndpoint: gcs.endpoint, resumableAbove: 1024 },
      { retry: { minTimeout: 5 } },
    ),
};

/** Read, add one, write back conditionally; start again from what is there when another writer won. */
async function increment(store: Store, key: string): Promise<void> {
  for (;;) {
    const current = await store.read(key);
    const next = String(Number(current?.data.toString() ?? '0') + 1);
    try {
      await store.write(key, next, { ifGeneration: current?.generation ?? null });
      return;
    } catch (error) {
      if (!(error instanceof PreconditionFailed)) throw error;
    }
  }
}

describe.each(Object.keys(stores))('%s store', (kind) => {
  const open = stores[kind]!;

  it('a create-only write lets exactly one of two racing writers in', async () => {
    const store = open();
    const results = await Promise.allSettled(
      ['a', 'b'].map((v) => store.write('records/x.json', v, { ifGeneration: null })),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(PreconditionFailed);
    const won = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<string>;
    expect((await store.read('records/x.json'))?.generation).toBe(won.value);
  });

  it('twelve concurrent read-modify-write increments all land (compare-and-swap)', async () => {
    const store = open();
    await Promise.all(Array.from({ length: 12 }, () => increment(store, 'counter')));
    expect((await store.read('counter'))?.data.toString()).toBe('12');
  }, 60_000);

  it('streams a file up and down whole, and lists and finds it', async () => {
    const store = open();
    const file = join(tmp, `upload-${kind}.bin`);
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    await writeFile(file, bytes);
    let progress = 0;
    await store.upload(file, 'files/ab/cdef', { onProgress: () => progress++ });
    expect(progress).toBeGreaterThan(0);
    const body = await store.download('files/ab/cdef');
    expect((await collect(body, 5000, 'download')).equals(bytes)).toBe(true);
    expect(await store.list('files/')).toEqual(['files/ab/cdef']);
    expect(await store.existing(['files/ab/cdef', 'files/ab/none'])).toEqual(
      new Set(['files/ab/cdef']),
    );
    expect(await store.read('files/ab/none')).toBeUndefined();
  });
});

describe('local store', () => {
  it('a conditional write waits for a held lock and goes through once it is released', async () => {
    const store = new LocalStore(join(tmp, 'locked'));
    const first = await store.write('aliases/a.json', 'one', { ifGeneration: null });
    const release = await store.lock('aliases/a.json');
    let done = false;
    const write = store.write('aliases/a.json', 'two', { ifGeneration: first }).then((g) => {
      done = true;
      return g;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(done).toBe(false);
    await release();
    const second = await write;
    expect((await store.read('aliases/a.json'))?.generation).toBe(second);
  });

  it('lists objects only: no temporary files, lock folders or holder names', async () => {
    const root = join(tmp, 'listing');
    const store = new LocalStore(root);
    await store.write('aliases/a.json', 'a');
    const release = await store.lock('aliases/a.json');
    await writeFile(join(root, 'aliases', '.a.json.tmp-1-0123456789ab'), 'half');
    try {
      expect((await readdir(join(root, 'aliases'))).sort()).toEqual([
        '.a.json.holder',
        '.a.json.tmp-1-0123456789ab',
        'a.json',
        'a.json.lock',
      ]);
      expect(await store.list('')).toEqual(['aliases/a.json']);
    } finally {
      await release();
    }
  });
});

describe('one URL parser for data remotes and the registry', () => {
  const remote = (url: string) => openRemote({ name: 'cloud', url, options: {} });

  it('reads gs://, gcs://, file:// and plain paths the same way for both', () => {
    for (const open of [remote, openRegistry]) {
      expect(open('gs://team-data/a/b/').url).toBe('gs://team-data/a/b');
      expect(open('gcs://team-data').url).toBe('gs://team-data');
      expect(open(`file://${tmp}/store`).url).toBe(join(tmp, 'store'));
      expect(open(join(tmp, 'store')).url).toBe(join(tmp, 'store'));
    }
  });

  it('takes the same bucket names in both: 3 to 222 characters', () => {
    const longest = `${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(33)}`;
    expect(longest).toHaveLength(222);
    for (const open of [remote, openRegistry]) {
      expect(open(`gs://${longest}/x`).url).toBe(`gs://${longest}/x`);
      for (const bad of [`${longest}e`, 'ab', 'Bad_Bucket!', '-bucket', ''])
        expect(() => open(`gs://${bad}/x`)).toThrow(`"${bad}" is not a bucket name`);
    }
  });

  it('refuses other schemes in both, naming the store', () => {
    expect(() => remote('s3://bucket/x')).toThrow(
      'remote "cloud" s3://bucket/x: s3:// is not supported',
    );
    expect(() => openRegistry('s3://bucket/x')).toThrow(
      'registry s3://bucket/x: s3:// is not supported',
    );
    const error = (() => {
      try {
        remote('file://');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe('remote "cloud" file://: names no folder');
  });
});
