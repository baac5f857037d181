/**
 * The bundled deploy-vm action as the runner runs it, against Debian's real
 * OpenSSH server on 127.0.0.1: the trained model goes live on the "VM" and
 * serves; a host key other than the pinned one is refused with nothing uploaded,
 * and the private key never reaches any output.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, strayHostKey, type Sshd } from '../deploy/helpers/sshd.js';
import { createVm, STAND_IN_SERVER, type Vm } from '../deploy/helpers/vm.js';
import { makeRepository } from './helpers/fixture.js';
import { runAction, type ActionRun } from './helpers/run-action.js';

let workspace: string;
let scratch: string;
let sshd: Sshd;
const vms: Vm[] = [];

beforeAll(async () => {
  workspace = await makeRepository();
  scratch = await mkdtemp(join(tmpdir(), 'mlops-deploy-vm-'));
  sshd = await startSshd();
  const train = await runAction('train', { workspace, inputs: { cache: 'false' } });
  expect(train.code, train.stderr).toBe(0);
});

afterAll(async () => {
  await Promise.all(vms.map((vm) => vm.stop()));
  await sshd?.stop();
  for (const dir of [workspace, scratch]) if (dir) await rm(dir, { recursive: true, force: true });
});

async function deployTo(vm: Vm, hostKey: string): Promise<ActionRun> {
  return runAction('deploy-vm', {
    workspace,
    inputs: {
      host: '127.0.0.1',
      port: String(sshd.port),
      user: 'root',
      'ssh-private-key': sshd.privateKey,
      'host-key': hostKey,
      server: STAND_IN_SERVER.dir,
      base: vm.base,
      'service-command': vm.serviceCommand,
      'ready-port': String(vm.servicePort),
      'ready-timeout': '30',
      // No pull request or git origin here: the review and the record are deploy-reviewed.test.ts's.
      'require-review': 'false',
      'record-production': 'false',
    },
  });
}

/** Everything the action printed or wrote, less the `::add-mask::` commands the runner consumes. */
function everyOutput(run: ActionRun): string {
  const stdout = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  return [stdout, run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
}

const keyBody = () => sshd.privateKey.split('\n')[1]!;

describe('deploy-vm over SSH', () => {
  it('puts the trained model live on the VM, where it serves', async () => {
    const vm = await createVm();
    vms.push(vm);
    const run = await deployTo(vm, sshd.knownHostsLine);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['deployed']).toBe('true');
    const release = run.outputs['release']!;
    expect(release).toMatch(/^[0-9a-f]{12}$/);
    expect(await vm.current()).toContain(`releases/${release}`);
    const ready = await fetch(`http://127.0.0.1:${vm.servicePort}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(await ready.json())).toContain(release);
    expect(everyOutput(run)).not.toContain(keyBody());
  });

  it('refuses a VM whose host key is not the pinned one, before anything is uploaded', async () => {
    const vm = await createVm();
    vms.push(vm);
    const stray = await strayHostKey(scratch);
    const run = await deployTo(vm, stray.line);
    expect(run.code).toBe(2);
    expect(run.annotations[0]?.message ?? run.stderr).toMatch(/host key/i);
    expect(await vm.releases()).toEqual([]);
    expect(await vm.current()).toBeNull();
    expect(everyOutput(run)).not.toContain(keyBody());
  });
});
