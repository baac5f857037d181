/**
 * The systemd unit's own command lines, run as systemd would run them (no
 * systemd here): ExecStart starts the staged `mlops serve` on the release that
 * `current` points to, with the token from the environment file; ExecReload
 * makes it follow a switched `current`; SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'shell-quote';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PENGUIN, switchLink } from '../serve/fixtures.js';
import { modelVersionOf, trainModels } from './helpers/models.js';
import { stagedServer } from './helpers/staged-server.js';
import { freePort } from './helpers/sshd.js';

const unitFile = resolve(import.meta.dirname, '../../deploy/mlops-serve.service');
let scratch: string;
let models: string[];
let server: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mlops-unit-'));
  models = await trainModels(scratch, [['model.epochs=3'], ['model.epochs=4']]);
  server = await stagedServer();
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The unit's settings by key (repeated keys keep every value, in order). */
async function readUnit(): Promise<Map<string, string[]>> {
  const settings = new Map<string, string[]>();
  for (const line of (await readFile(unitFile, 'utf8')).split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

/** A command line of the unit as argv, with the VM's paths and port swapped for the test's. */
function argv(line: string, swap: Record<string, string>): string[] {
  let text = line;
  for (const [from, to] of Object.entries(swap)) text = text.split(from).join(to);
  return parse(text).map(String);
}

it("runs the unit's ExecStart and ExecReload: mlops serve with the token from the environment file, following current", async () => {
  const unit = await readUnit();
  const base = join(scratch, 'srv');
  for (const [name, model] of [
    ['r1', models[0]!],
    ['r2', models[1]!],
  ] as const) {
    await mkdir(join(base, 'releases', name), { recursive: true });
    await symlink(server, join(base, 'releases', name, 'server'));
    await cp(model, join(base, 'releases', name, 'model'), { recursive: true });
  }
  await switchLink(join(base, 'current'), 'releases/r1');
  const port = String(await freePort());
  const swap = { '/srv/mlops': base, '8080': port, '/usr/bin/node': process.execPath };

  const [command, ...args] = argv(unit.get('ExecStart')![0]!, swap);
  expect(args).toEqual(expect.arrayContaining(['serve', '--model', `${base}/current/model`]));
  // Environment= lines, then the EnvironmentFile (here: the token it holds).
  const env: Record<string, string> = { PATH: process.env.PATH! };
  for (const assignment of unit.get('Environment') ?? []) {
    const [key, value] = assignment.split('=', 2) as [string, string];
    env[key] = value.split('/srv/mlops').join(base);
  }
  expect(unit.get('EnvironmentFile')).toEqual(['-/etc/mlops/serve.env']);
  env.MLOPS_API_TOKEN = 'token-from-serve-env';
  const child = spawn(command!, args, {
    cwd: unit.get('WorkingDirectory')![0]!.split('/srv/mlops').join(base),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const url = `http://127.0.0.1:${port}`;
  const readyz = async () => {
    try {
      const res = await fetch(`${url}/readyz`);
      return res.ok ? ((await res.json()) as { release: string; model_version: string }) : null;
    } catch {
      return null;
    }
  };
  const until = async (check: (r: Awaited<ReturnType<typeof readyz>>) => boolean) => {
    for (let i = 0; i < 600; i++) {
      if (check(await readyz())) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`the server did not get there:\n${stderr}`);
  };
  const predict = (token?: string) =>
    fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(PENGUIN),
    });
  try {
    await until((r) => r?.release === 'r1');
    expect(await readyz()).toMatchObject({ model_version: await modelVersionOf(models[0]!) });
    expect((await predict()).status).toBe(401);
    expect((await predict('token-from-serve-env')).status).toBe(200);

    await switchLink(join(base, 'current'), 'releases/r2');
    const [kill, ...killArgs] = argv(unit.get('ExecReload')![0]!, {
      $MAINPID: String(child.pid),
    });
    spawn(kill!, killArgs, { stdio: 'ignore' });
    await until((r) => r?.release === 'r2');
    expect(await readyz()).toMatchObject({ model_version: await modelVersionOf(models[1]!) });
    expect((await predict('token-from-serve-env')).status).toBe(200);

    expect(unit.get('KillSignal')).toEqual(['SIGTERM']);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
