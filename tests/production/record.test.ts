/**
 * The production record on refs/mlops/production: appended by releases and
 * rollbacks, read by any clone (a fork's pull request checkout has no
 * credentials), never half-written.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { modelDigest } from '../../pipeline/model/digest.js';
import {
  PRODUCTION_REF,
  productionLog,
  readProduction,
  recordProduction,
} from '../../pipeline/production/git-ref.js';
import { git, makeRepos, type Repos } from './fixture.js';

describe('the production record', () => {
  let repos: Repos;
  beforeEach(async () => {
    repos = await makeRepos();
  });
  afterEach(() => repos.remove());

  async function record(
    version: string,
    event: 'release' | 'rollback' = 'release',
    dir = repos.work,
  ) {
    const model = await repos.model(version);
    return recordProduction(dir, {
      event,
      modelDir: model.dir,
      metricsPath: model.metrics,
      benchPath: model.bench,
      commit: 'c'.repeat(40),
      run: { id: '7', url: 'https://github.com/o/r/actions/runs/7' },
      remote: 'origin',
    });
  }

  it('keeps one commit per release or rollback, newest first, each naming the one before', async () => {
    await record('aaaaaaaaaaaa');
    await record('bbbbbbbbbbbb');
    await record('aaaaaaaaaaaa', 'rollback');
    const log = await productionLog(repos.work);
    expect(log.map((e) => [e.record.event, e.record.model_version, e.record.previous])).toEqual([
      ['rollback', 'aaaaaaaaaaaa', 'bbbbbbbbbbbb'],
      ['release', 'bbbbbbbbbbbb', 'aaaaaaaaaaaa'],
      ['release', 'aaaaaaaaaaaa', null],
    ]);
    expect(await git(repos.origin, 'log', '--format=%s|%an', PRODUCTION_REF)).toBe(
      'rollback to aaaaaaaaaaaa|mlops\nrelease bbbbbbbbbbbb|mlops\nrelease aaaaaaaaaaaa|mlops\n',
    );
    expect(await git(repos.origin, 'ls-tree', '--name-only', PRODUCTION_REF)).toBe(
      'bench.json\nmetrics.json\nrecord.json\n',
    );
  });

  it('is read by a fresh clone with no credentials, files and sha256 included', async () => {
    await record('aaaaaaaaaaaa');
    await record('bbbbbbbbbbbb');
    const fork = await repos.clone('pr-checkout');
    const production = await readProduction(fork);
    expect(production?.record).toMatchObject({
      format: 'mlops-production/1',
      event: 'release',
      model_version: 'bbbbbbbbbbbb',
      name: 'penguins-species',
      previous: 'aaaaaaaaaaaa',
      run: { id: '7' },
    });
    const digest = await modelDigest(join(repos.root, 'models', 'bbbbbbbbbbbb'));
    expect(production?.record.weights_sha256).toBe(digest.weights_sha256);
    expect(production?.record.files).toEqual(digest.files);
    expect(production?.metrics.metrics).toEqual({ accuracy: 0.9, macro_f1: 0.95, log_loss: 0.1 });
    expect(production?.bench?.metrics).toEqual({ p99_ms: 2 });
  });

  it('is undefined when nothing is recorded yet, with or without a remote', async () => {
    expect(await readProduction(repos.work)).toBeUndefined();
    await git(repos.work, 'remote', 'remove', 'origin');
    expect(await readProduction(repos.work)).toBeUndefined();
    expect(await productionLog(repos.work)).toEqual([]);
  });

  it('a ref holding a broken record.json is an error naming the ref and the file', async () => {
    await record('aaaaaaaaaaaa');
    // A hand-made commit whose record.json lacks weights_sha256.
    const blob = (
      await git(repos.work, 'hash-object', '-w', join(repos.root, 'models/aaaaaaaaaaaa/bench.json'))
    ).trim();
    const broken = join(repos.root, 'broken.json');
    await writeFile(broken, '{"format": "mlops-production/1"}');
    const bad = (await git(repos.work, 'hash-object', '-w', broken)).trim();
    await git(repos.work, 'update-index', '--add', '--cacheinfo', `100644,${bad},record.json`);
    await git(repos.work, 'update-index', '--add', '--cacheinfo', `100644,${blob},metrics.json`);
    const treeId = (await git(repos.work, 'write-tree')).trim();
    const commit = (
      await git(
        repos.work,
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@e',
        'commit-tree',
        treeId,
        '-m',
        'x',
      )
    ).trim();
    await git(repos.work, 'push', '--quiet', 'origin', `+${commit}:${PRODUCTION_REF}`);
    const clone = await repos.clone('reader');
    await expect(readProduction(clone)).rejects.toThrow(
      /^refs\/mlops\/production:record\.json: event: /,
    );
  });

  it('sends a token as checkout does, for that command only, and never shows it in an error', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(403).end('no');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    try {
      await git(repos.work, 'remote', 'set-url', 'origin', `http://127.0.0.1:${port}/o/r.git`);
      const token = 'ghs_secret0123456789';
      const error = await readProduction(repos.work, { token }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PipelineError);
      const text = `${(error as Error).message} ${String((error as Error).cause)}`;
      expect(text).toContain(`cannot fetch ${PRODUCTION_REF} from origin`);
      const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
      expect(seen[0]).toBe(`basic ${basic}`);
      expect(text).not.toContain(token);
      expect(text).not.toContain(basic);
      // Nothing was written to the repository's config.
      expect(await git(repos.work, 'config', '--list', '--local')).not.toContain(basic);
    } finally {
      server.close();
    }
  });

  it('a writer that raced another fails clearly, and its local ref stays where it was', async () => {
    await record('aaaaaaaaaaaa');
    const before = (await git(repos.work, 'rev-parse', PRODUCTION_REF)).trim();
    // The other writer pushes between this one's fetch and its push: this clone
    // fetches from a copy of origin taken before, and pushes to origin itself.
    const other = await repos.clone('other');
    await record('bbbbbbbbbbbb', 'release', other);
    const stale = join(repos.root, 'stale.git');
    await git(repos.root, 'clone', '--quiet', '--bare', repos.origin, stale);
    await git(stale, 'update-ref', PRODUCTION_REF, before);
    await git(repos.work, 'remote', 'set-url', 'origin', stale);
    await git(repos.work, 'remote', 'set-url', '--push', 'origin', repos.origin);

    await expect(record('cccccccccccc')).rejects.toThrow(
      'refs/mlops/production on origin moved while this record was written',
    );
    expect((await git(repos.work, 'rev-parse', PRODUCTION_REF)).trim()).toBe(before);
    const after = await repos.clone('after');
    expect((await readProduction(after))?.record.model_version).toBe('bbbbbbbbbbbb');
    expect((await productionLog(after)).map((e) => e.record.model_version)).toEqual([
      'bbbbbbbbbbbb',
      'aaaaaaaaaaaa',
    ]);
  });
});
