/** `mlops serve` as a process: the token from the environment, SIGHUP reloads, SIGTERM stops cleanly. */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { PENGUIN, switchLink } from './fixtures.js';

let a: TrainedModel;
let b: TrainedModel;
let tmp: string;

beforeAll(async () => {
  a = await trainPenguins(['split.seed=21']);
  b = await trainPenguins(['split.seed=22']);
  tmp = await mkdtemp(join(tmpdir(), 'mlops-serve-cli-'));
});

afterAll(async () => {
  await Promise.all([a?.cleanup(), b?.cleanup()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function mlops(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['bin/mlops.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (let i = 0; i < 600; i++) {
      const m = stderr.match(pattern);
      if (m) return m;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${pattern} in:\n${stderr}`);
  };
  return { child, exit, waitFor, stderr: () => stderr };
}

it('serves with the token from MLOPS_API_TOKEN, reloads on SIGHUP and stops on SIGTERM', async () => {
  const link = join(tmp, 'current');
  await switchLink(link, a.modelDir);
  const server = mlops(['serve', '--model', link, '--port', '0', '--log-level', 'warn'], {
    MLOPS_API_TOKEN: 'from-env',
  });
  try {
    const [, version, url] = await server.waitFor(
      /model (\w+) from .* on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    expect(version).toBe(a.version);
    expect(server.stderr()).toContain('bearer token required');
    const predict = (token: string) =>
      fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(PENGUIN),
      });
    expect((await predict('wrong')).status).toBe(401);
    const ok = await predict('from-env');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { model_version: string }).model_version).toBe(a.version);

    await switchLink(link, b.modelDir);
    server.child.kill('SIGHUP');
    await server.waitFor(new RegExp(`reloaded: model ${b.version} \\(was ${a.version}\\)`));
    expect(
      ((await (await predict('from-env')).json()) as { model_version: string }).model_version,
    ).toBe(b.version);

    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.stderr()).toContain('SIGTERM: finishing requests in flight');
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
});

it('follows `current` on SIGHUP as a deploy lays it out, naming the release in /readyz; a release that does not load leaves the old one serving and ready', async () => {
  // <base>/releases/<release>/model, with <base>/current -> releases/<release>.
  const base = join(tmp, 'srv');
  const release = async (name: string, model: string) => {
    await mkdir(join(base, 'releases', name), { recursive: true });
    await cp(model, join(base, 'releases', name, 'model'), { recursive: true });
  };
  await release('r1', a.modelDir);
  await release('r2', b.modelDir);
  // Same model as r1, but its weights were cut short, as by a broken upload.
  await release('r3-broken', a.modelDir);
  const weights = join(base, 'releases', 'r3-broken', 'model', 'weights.bin');
  await truncate(weights, Math.floor((await stat(weights)).size / 2));
  const current = join(base, 'current');
  await switchLink(current, 'releases/r1');

  const server = mlops(
    ['serve', '--model', join(current, 'model'), '--port', '0', '--log-level', 'warn'],
    { MLOPS_API_TOKEN: '' },
  );
  try {
    const [, url] = await server.waitFor(/ on (http:\/\/127\.0\.0\.1:\d+)/);
    const ready = async () => {
      const res = await fetch(`${url}/readyz`);
      return { http: res.status, ...((await res.json()) as object) };
    };
    const predicted = async () => {
      const res = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(PENGUIN),
      });
      return {
        status: res.status,
        version: ((await res.json()) as { model_version: string }).model_version,
      };
    };
    expect(await ready()).toMatchObject({ http: 200, release: 'r1', model_version: a.version });

    await switchLink(current, 'releases/r2');
    server.child.kill('SIGHUP');
    await server.waitFor(new RegExp(`reloaded: model ${b.version} \\(was ${a.version}\\)`));
    expect(await ready()).toMatchObject({ http: 200, release: 'r2', model_version: b.version });
    expect(await predicted()).toEqual({ status: 200, version: b.version });

    await switchLink(current, 'releases/r3-broken');
    server.child.kill('SIGHUP');
    await server.waitFor(
      new RegExp(
        `reload failed, still serving ${b.version}: \\S*releases/r3-broken/model/model\\.json: cannot load`,
      ),
    );
    expect(await ready()).toMatchObject({ http: 200, release: 'r2', model_version: b.version });
    expect(await predicted()).toEqual({ status: 200, version: b.version });

    // Switched back, as a deploy's rollback does: the same release loads again.
    await switchLink(current, 'releases/r2');
    server.child.kill('SIGHUP');
    await server.waitFor(new RegExp(`reloaded: model ${b.version} \\(was ${b.version}\\)`));
    expect(await ready()).toMatchObject({ http: 200, release: 'r2', model_version: b.version });
  } finally {
    server.child.kill('SIGTERM');
    await server.exit;
  }
});

it('refuses an unreadable token file with exit status 2', async () => {
  const missing = mlops(['serve', '--model', a.modelDir, '--token-file', join(tmp, 'nope')]);
  expect(await missing.exit).toBe(2);
  expect(missing.stderr()).toMatch(/--token-file .*nope: cannot read \(ENOENT\)/);
});

it('a port already in use exits 2 naming the address, not with a stack', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const server = mlops(['serve', '--model', a.modelDir, '--port', String(port)]);
    expect(await server.exit).toBe(2);
    expect(server.stderr()).toContain(`error: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    expect(server.stderr()).not.toContain('internal error');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

it('takes MLOPS_API_TOKEN as the token file is taken: trimmed, and refused when it is not one token', async () => {
  const split = mlops(['serve', '--model', a.modelDir, '--port', '0'], {
    MLOPS_API_TOKEN: 'two words',
  });
  const stopped = setTimeout(() => split.child.kill('SIGKILL'), 15_000);
  expect(await split.exit).toBe(2);
  clearTimeout(stopped);
  expect(split.stderr()).toContain('error: MLOPS_API_TOKEN: expected one token on one line');

  // As an env file or a secret store may hand it over, with a line end.
  const server = mlops(['serve', '--model', a.modelDir, '--port', '0', '--log-level', 'warn'], {
    MLOPS_API_TOKEN: 'tok-1\n',
  });
  try {
    const [, url] = await server.waitFor(/ on (http:\/\/127\.0\.0\.1:\d+)/);
    const res = await fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-1' },
      body: JSON.stringify(PENGUIN),
    });
    expect(res.status).toBe(200);
  } finally {
    server.child.kill('SIGTERM');
    await server.exit;
  }
});
