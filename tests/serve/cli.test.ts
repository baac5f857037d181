/** `mlops serve` as a process: the token from the environment, SIGHUP reloads, SIGTERM stops cleanly. */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { partialBody, PENGUIN, stall, switchLink } from './fixtures.js';

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

/** `mlops` in a child process; an env value undefined unsets it, `prefix` runs it under another command. */
function mlops(
  args: string[],
  env: Record<string, string | undefined> = {},
  prefix: string[] = [],
) {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const [command, ...rest] = [...prefix, process.execPath, 'bin/mlops.js', ...args];
  const child = spawn(command!, rest, { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
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
    { MLOPS_API_TOKEN: undefined },
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

it('refuses an empty MLOPS_API_TOKEN, as an empty token file, with exit status 2: set but empty never turns auth off', async () => {
  for (const value of ['', '  \n']) {
    const server = mlops(['serve', '--model', a.modelDir, '--port', '0'], {
      MLOPS_API_TOKEN: value,
    });
    const stopped = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    expect(await server.exit).toBe(2);
    clearTimeout(stopped);
    expect(server.stderr()).toContain('error: MLOPS_API_TOKEN: is empty');
    expect(server.stderr()).toContain('unset it');
  }
  const file = join(tmp, 'empty-token');
  await writeFile(file, '\n');
  const fromFile = mlops(['serve', '--model', a.modelDir, '--port', '0', '--token-file', file]);
  expect(await fromFile.exit).toBe(2);
  expect(fromFile.stderr()).toContain(`error: --token-file ${file}: is empty`);
});

it('a body nested 5,000 deep is a 400, and the process and the requests batched with it live on', async () => {
  const server = mlops(['serve', '--model', a.modelDir, '--port', '0', '--log-level', 'warn'], {
    MLOPS_API_TOKEN: undefined,
  });
  try {
    const [, url] = await server.waitFor(/ on (http:\/\/127\.0\.0\.1:\d+)/);
    const post = (body: string) =>
      fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then((r) => r.status);
    const deep = `{"Island": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const statuses = await Promise.all(
      [PENGUIN, deep, PENGUIN, `{"rows": [${deep}]}`, PENGUIN].map((b) =>
        post(typeof b === 'string' ? b : JSON.stringify(b)),
      ),
    );
    expect(statuses).toEqual([200, 400, 200, 400, 200]);
    expect(await post(JSON.stringify(PENGUIN))).toBe(200);
    expect(server.child.exitCode).toBeNull();
  } finally {
    server.child.kill('SIGTERM');
    await server.exit;
  }
});

it('under a limit of 256 open files, 300 stalled uploads leave it able to reload, and it serves again once they let go', async () => {
  const link = join(tmp, 'fd-limit');
  await switchLink(link, a.modelDir);
  const server = mlops(
    ['serve', '--model', link, '--port', '0', '--log-level', 'warn'],
    { MLOPS_API_TOKEN: undefined },
    ['prlimit', '--nofile=256:256'],
  );
  try {
    const [, url] = await server.waitFor(/ on (http:\/\/127\.0\.0\.1:\d+)/);
    const clients = await Promise.all(
      Array.from({ length: 300 }, () => stall(url!, partialBody()).catch(() => undefined)),
    );
    // Once the server has taken in every connection it will (its open
    // descriptors stop changing), the cap has kept some free: a reload can
    // still open the model's files.
    const open = async () => (await readdir(`/proc/${server.child.pid}/fd`)).length;
    const counts = [await open()];
    while (counts.length < 40 && (counts.length < 4 || new Set(counts.slice(-4)).size > 1)) {
      await new Promise((r) => setTimeout(r, 250));
      counts.push(await open());
    }
    expect(counts.at(-1)).toBeGreaterThan(150);
    await switchLink(link, b.modelDir);
    server.child.kill('SIGHUP');
    await server.waitFor(new RegExp(`reloaded: model ${b.version} \\(was ${a.version}\\)`));
    // (The request timeout would cut them off; slow-clients.test.ts shows that.)
    for (const c of clients) c?.socket.destroy();
    await Promise.all(clients.map((c) => c?.closed));
    await new Promise((r) => setTimeout(r, 500));
    const res = await fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(PENGUIN),
    });
    expect(res.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  } finally {
    server.child.kill('SIGTERM');
    const stopped = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
    await server.exit;
    clearTimeout(stopped);
  }
});

it('SIGTERM with a stalled upload open exits 0 after the shutdown grace, not after the request timeout', async () => {
  const server = mlops(['serve', '--model', a.modelDir, '--port', '0', '--log-level', 'warn'], {
    MLOPS_API_TOKEN: undefined,
  });
  const [, url] = await server.waitFor(/ on (http:\/\/127\.0\.0\.1:\d+)/);
  const client = await stall(url!, partialBody());
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  server.child.kill('SIGTERM');
  const stopped = setTimeout(() => server.child.kill('SIGKILL'), 25_000);
  expect(await server.exit).toBe(0);
  clearTimeout(stopped);
  // The grace is 5 s; the request timeout (30 s) never comes into it.
  expect(Date.now() - started).toBeLessThan(20_000);
  await client.closed;
});
