/** `mlops deploy` as a user or CI runs it: secrets from the environment, exit codes, messages. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PENGUIN } from '../serve/fixtures.js';
import { trainModels, truncatedCopy } from './helpers/models.js';
import { startSshd, strayHostKey, type Sshd } from './helpers/sshd.js';
import {
  createVm,
  realServer,
  STAND_IN_SERVER,
  type ReleaseServer,
  type Vm,
} from './helpers/vm.js';

const root = resolve(import.meta.dirname, '../..');
let sshd: Sshd;
let scratch: string;
let model: string;
const vms: Vm[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  scratch = await mkdtemp(join(tmpdir(), 'mlops-deploy-cli-'));
  [model] = (await trainModels(scratch, [['model.epochs=3']])) as [string];
});

afterEach(async () => {
  await Promise.all(vms.splice(0).map((vm) => vm.stop()));
});

afterAll(async () => {
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function mlops(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin/mlops.js'), ...args],
      { cwd: root, env: { PATH: process.env.PATH!, ...env } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

function deployArgs(vm: Vm, server: ReleaseServer = STAND_IN_SERVER): string[] {
  return [
    'deploy',
    '--host',
    `root@127.0.0.1:${sshd.port}`,
    '--base',
    vm.base,
    '--server',
    server.dir,
    '--model',
    model,
    '--service-command',
    vm.serviceCommand,
    '--ready-port',
    String(vm.servicePort),
    '--ready-timeout',
    '30',
  ];
}

describe('mlops deploy', () => {
  it('deploys mlops serve with the key and the host key pin taken from the environment', async () => {
    const server = await realServer();
    const vm = await createVm(server);
    vms.push(vm);
    const { code, stderr } = await mlops(deployArgs(vm, server), {
      MLOPS_SSH_KEY: sshd.privateKey,
      MLOPS_SSH_HOST_KEY: sshd.fingerprint,
    });
    expect(stderr).toMatch(/ready, serving model \w+/);
    expect(stderr).toContain(`is live on root@127.0.0.1:${sshd.port}`);
    expect(stderr).not.toContain('PRIVATE KEY');
    expect(code).toBe(0);
    const release = /^releases\/(\w+)$/.exec((await vm.current()) ?? '')?.[1];
    expect(release).toBeDefined();
    // The staged project is what answers, with the token the VM gave it.
    const answer = await fetch(`http://127.0.0.1:${vm.servicePort}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${vm.token}` },
      body: JSON.stringify(PENGUIN),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-api-version')).toBeTruthy();
    const ready = (await (await fetch(`http://127.0.0.1:${vm.servicePort}/readyz`)).json()) as {
      release: string;
    };
    expect(ready.release).toBe(release);
  });

  it('exits 2 naming the host when its key is not the pinned one, uploading nothing', async () => {
    const vm = await createVm();
    vms.push(vm);
    const keyFile = join(scratch, 'id_deploy');
    await writeFile(keyFile, sshd.privateKey, { mode: 0o600 });
    const knownHosts = join(scratch, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${(await strayHostKey(scratch)).line}\n`);

    const { code, stderr } = await mlops(
      [...deployArgs(vm), '--key-file', keyFile, '--known-hosts', knownHosts],
      {},
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      `error: root@127.0.0.1:${sshd.port}: refused host key ${sshd.fingerprint}: it matches no pinned key`,
    );
    expect(stderr).toContain('hint: ');
    expect(await readdir(vm.base)).toEqual([]);
  });

  it('checks everything in a dry run and contacts nothing; a user name with a dot is taken', async () => {
    const vm = await createVm();
    vms.push(vm);
    const args = deployArgs(vm).map((a) => a.replace(/^root@/, 'a.b@'));
    const { code, stderr } = await mlops([...args, '--dry-run'], {
      MLOPS_SSH_KEY: sshd.privateKey,
      MLOPS_SSH_HOST_KEY: sshd.knownHostsLine,
    });
    expect(stderr).toMatch(
      new RegExp(
        `dry run: release \\w+ checked for a\\.b@127\\.0\\.0\\.1:${sshd.port}; nothing was contacted`,
      ),
    );
    expect(code).toBe(0);
    expect(await readdir(vm.base)).toEqual([]);
  });

  it('fails a dry run on a model folder cut short and on a host key that does not parse', async () => {
    const vm = await createVm();
    vms.push(vm);
    const env = { MLOPS_SSH_KEY: sshd.privateKey, MLOPS_SSH_HOST_KEY: sshd.fingerprint };
    const broken = await truncatedCopy(model, join(scratch, 'model-truncated'));
    const cut = await mlops([...deployArgs(vm), '--model', broken, '--dry-run'], env);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(
      /^error: .*model-truncated\/weights\.bin holds \d+ bytes, but model\.json's weightsManifest describes \d+$/m,
    );
    const badPin = await mlops(
      [
        ...deployArgs(vm),
        '--host-key',
        `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1`,
        '--dry-run',
      ],
      env,
    );
    expect(badPin.code).toBe(2);
    expect(badPin.stderr).toContain(
      'error: --host-key 1 line 1: the ssh-ed25519 key data is not a valid key',
    );
    expect(await readdir(vm.base)).toEqual([]);
  });

  it('refuses a host that is not a host name, with the words deploy-vm uses', async () => {
    const vm = await createVm();
    vms.push(vm);
    const args = deployArgs(vm).map((a) => a.replace(/^root@127\.0\.0\.1:\d+$/, 'root@vm;reboot'));
    const { code, stderr } = await mlops(args, {
      MLOPS_SSH_KEY: sshd.privateKey,
      MLOPS_SSH_HOST_KEY: sshd.fingerprint,
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'error: --host root@vm;reboot: "vm;reboot" is not a host name or IP address',
    );
  });

  it('will not connect without a pinned host key', async () => {
    const vm = await createVm();
    vms.push(vm);
    const { code, stderr } = await mlops(deployArgs(vm), { MLOPS_SSH_KEY: sshd.privateKey });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: no host key pinned/m);
    expect(await readdir(vm.base)).toEqual([]);
  });
});
