/**
 * A deploy always ends in a verified state: `mlops deploy` run as a user runs it,
 * against a real OpenSSH server. A service command that hangs is stopped on the
 * VM at the readiness timeout and the previous release goes back live; SIGINT or
 * SIGTERM mid-deploy does the same at once. Either way the lock is released and
 * no process of the deploy is left running on the VM.
 */
import { execFile, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../pipeline/deploy/deploy.js';
import { PipelineError } from '../../pipeline/errors.js';
import { buildRelease } from '../../pipeline/deploy/release.js';
import { trainModels } from './helpers/models.js';
import { startSshd, type Sshd } from './helpers/sshd.js';
import { createVm, pinsFor, settingsFor, STAND_IN_SERVER, type Vm } from './helpers/vm.js';

const root = resolve(import.meta.dirname, '../..');
let sshd: Sshd;
let scratch: string;
let model: string;
const vms: Vm[] = [];
const children: { pid?: number; exitCode: number | null; signalCode: string | null }[] = [];
/** Command lines this file starts on the VM, to look for what is still running. */
const patterns: string[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  scratch = await mkdtemp(join(tmpdir(), 'mlops-deploy-deadlines-'));
  [model] = (await trainModels(scratch, [['model.epochs=3']])) as [string];
});

/** Pids of the processes whose command line contains `pattern` (the sshd runs here). */
function running(pattern: string): Promise<number[]> {
  return new Promise((done) =>
    execFile('pgrep', ['-f', pattern], (_error, stdout) =>
      done(stdout.split('\n').filter(Boolean).map(Number)),
    ),
  );
}

afterEach(async () => {
  // What a failing test left running: only processes this file started, by pid.
  for (const child of children.splice(0))
    if (child.pid && child.exitCode === null && child.signalCode === null)
      process.kill(child.pid, 'SIGKILL');
  for (const pattern of patterns.splice(0))
    for (const pid of await running(pattern)) process.kill(pid, 'SIGKILL');
  await Promise.all(vms.splice(0).map((vm) => vm.stop()));
});

afterAll(async () => {
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** A sleep no other process runs, so pgrep finds only ours. */
function uniqueSleep(): string {
  const command = `sleep ${randomInt(100_000, 999_999)}`;
  patterns.push(command);
  return command;
}

/** A VM serving release r1 of the model. */
async function vmServingR1(): Promise<Vm> {
  const vm = await createVm();
  vms.push(vm);
  await deploy({
    settings: settingsFor(sshd, vm),
    release: await buildRelease({ server: STAND_IN_SERVER.dir, model, version: 'r1' }),
    credentials: { privateKey: sshd.privateKey },
    pins: pinsFor(sshd),
    by: 'ci@runner',
    pid: process.pid,
  });
  expect(await vm.current()).toBe('releases/r1');
  return vm;
}

/** `mlops deploy` of release r2, as a child process. */
function deployR2(vm: Vm, serviceCommand: string, readyTimeout: number) {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/mlops.js'),
      'deploy',
      '--host',
      `root@127.0.0.1:${sshd.port}`,
      '--base',
      vm.base,
      '--server',
      STAND_IN_SERVER.dir,
      '--model',
      model,
      '--release',
      'r2',
      '--service-command',
      serviceCommand,
      '--ready-port',
      String(vm.servicePort),
      '--ready-timeout',
      String(readyTimeout),
    ],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH!,
        MLOPS_SSH_KEY: sshd.privateKey,
        MLOPS_SSH_HOST_KEY: sshd.fingerprint,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    stderr: () => stderr,
    /** How it ended, or undefined when it is still running after `ms`. */
    within: (ms: number) =>
      Promise.race([exited, sleep(ms).then(() => undefined)]).then((end) =>
        end ? { ...end, stderr } : undefined,
      ),
  };
}

describe('a deploy always ends in a verified state', () => {
  it('stops a service command that hangs at the readiness timeout, on the VM too, and rolls back', async () => {
    const vm = await vmServingR1();
    const hang = uniqueSleep();
    const started = Date.now();
    const run = deployR2(vm, `[ "$MLOPS_RELEASE" = r2 ] && ${hang}; ${vm.serviceCommand}`, 5);

    // 5 s for the command, the rollback, and the CLI's own start-up: 10 s is margin.
    const end = await run.within(15_000);
    const took = Date.now() - started;

    expect(end, `still running after 15 s:\n${run.stderr()}`).toBeDefined();
    expect(took).toBeLessThan(15_000);
    expect(end!.code).toBe(2);
    expect(end!.stderr).toContain(
      `error: root@127.0.0.1:${sshd.port}: the service command was still running after 5 s and was stopped; rolled back to r1, which is serving again`,
    );
    expect(await vm.current()).toBe('releases/r1');
    expect(await exists(join(vm.base, '.deploy.lock'))).toBe(false);
    expect(await running(hang)).toEqual([]);
    const ready = (await (await fetch(`http://127.0.0.1:${vm.servicePort}/readyz`)).json()) as {
      release: string;
    };
    expect(ready.release).toBe('r1');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s while the service command runs, rolls back, releases the lock and exits %i',
    async (signal, status) => {
      const vm = await vmServingR1();
      const slow = uniqueSleep();
      const run = deployR2(
        vm,
        `[ "$MLOPS_RELEASE" = r2 ] && { touch "$MLOPS_BASE/waiting"; ${slow}; }; ${vm.serviceCommand}`,
        60,
      );
      for (let i = 0; !(await exists(join(vm.base, 'waiting'))); i++) {
        if (i > 600)
          throw new Error(`the deploy never reached its service command:\n${run.stderr()}`);
        await sleep(50);
      }
      expect(await vm.current()).toBe('releases/r2');

      run.child.kill(signal);
      // Well inside the 60 s readiness timeout: the interrupt, not a deadline, ended it.
      const end = await run.within(20_000);

      expect(end, `still running 20 s after ${signal}:\n${run.stderr()}`).toBeDefined();
      expect(end!.code).toBe(status);
      expect(end!.stderr).toContain(
        `error: root@127.0.0.1:${sshd.port}: interrupted (${signal}) before release r2 was ready; rolled back to r1, which is serving again`,
      );
      expect(await vm.current()).toBe('releases/r1');
      expect(await readdir(vm.base)).not.toContain('.deploy.lock');
      expect(await running(slow)).toEqual([]);
    },
  );

  it('stops an upload when the deploy is aborted, leaving the live release and no partial upload behind', async () => {
    const vm = await vmServingR1();
    // A server of many files, so the upload is still running when the abort comes.
    const server = join(scratch, 'server-many-files');
    await cp(STAND_IN_SERVER.dir, server, { recursive: true });
    await mkdir(join(server, 'assets'));
    for (let i = 0; i < 3_000; i++)
      await writeFile(join(server, 'assets', `${i}.txt`), `asset ${i}\n`.repeat(64));
    const release = await buildRelease({ server, model, version: 'r2' });
    const controller = new AbortController();
    // Some assets are on the VM: the upload is sending files over SFTP.
    const uploading = async () => {
      const releases = join(vm.base, 'releases');
      for (const name of await readdir(releases))
        if (name.endsWith('.partial'))
          return (
            (await readdir(join(releases, name, 'server', 'assets')).catch(() => [])).length > 0
          );
      return false;
    };

    const deploying = deploy({
      settings: settingsFor(sshd, vm),
      release,
      credentials: { privateKey: sshd.privateKey },
      pins: pinsFor(sshd),
      by: 'ci@runner',
      pid: process.pid,
      signal: controller.signal,
    }).catch((error: unknown) => error);
    for (let i = 0; !(await uploading()); i++) {
      if (i > 2_000) throw new Error('the upload never started');
      await sleep(10);
    }
    controller.abort('stopped by the test');
    const error = await deploying;

    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe(
      `root@127.0.0.1:${sshd.port}: interrupted (stopped by the test) before current was switched; release r1 stays live`,
    );
    expect(await vm.current()).toBe('releases/r1');
    expect(await readdir(join(vm.base, 'releases'))).toEqual(['r1']);
    expect(await readdir(vm.base)).not.toContain('.deploy.lock');
  });
});
