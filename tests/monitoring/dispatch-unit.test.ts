/**
 * The systemd unit of the refresh receiver, its command line run as systemd
 * would run it (no systemd here): the credentials directory (%d) and state
 * directory (%S) swapped for temporary ones, the tokens as systemd hands them
 * over (mode 0400). It listens on 127.0.0.1, asks for the bearer token, and
 * stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'shell-quote';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../serve/fixtures.js';

const unitFile = resolve(import.meta.dirname, '../../deploy/monitoring/mlops-dispatch.service');
const repo = resolve(import.meta.dirname, '../..');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mlops-dispatch-unit-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it("runs the unit's ExecStart: mlops monitor dispatch on 127.0.0.1 with both tokens from the credentials directory", async () => {
  const unit = await readFile(unitFile, 'utf8');
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  expect(unit).toMatch(/^DynamicUser=yes$/m);
  expect(unit).toMatch(/^LoadCredential=github-token:\/etc\/mlops\/dispatch-github-token$/m);
  expect(unit).toMatch(/^LoadCredential=alerts-token:\/etc\/prometheus\/mlops-alerts-token$/m);
  expect(unit).toMatch(/^StateDirectory=mlops-dispatch$/m);

  const credentials = join(tmp, 'credentials');
  await mkdir(credentials);
  for (const [name, token] of [
    ['github-token', 'github_pat_x'],
    ['alerts-token', 'am-token'],
  ])
    await writeFile(join(credentials, name!), `${token}\n`, { mode: 0o400 });
  const port = await freePort();
  const argv = parse(
    execStart
      .replaceAll('%d', credentials)
      .replaceAll('%S', join(tmp, 'state'))
      .replace('/srv/mlops/current/server', repo)
      .replace('OWNER/NAME', 'acme/penguins')
      .replace('--port 9095', `--port ${port}`),
  ).map(String);
  expect(argv.slice(0, 4)).toEqual([
    '/usr/bin/node',
    join(repo, 'bin/mlops.js'),
    'monitor',
    'dispatch',
  ]);
  const child = spawn(process.execPath, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    for (let i = 0; i < 600 && !output.includes('listening on'); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(output).toContain(`listening on http://127.0.0.1:${port} (POST /v1/alerts)`);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', last_sent: null });
    const unauthorized = await fetch(`http://127.0.0.1:${port}/v1/alerts`, { method: 'POST' });
    expect(unauthorized.status).toBe(401);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(output).not.toContain('github_pat_x');
});
