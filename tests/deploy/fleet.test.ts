/**
 * What keeps a fleet of VMs sane over many deploys: the lock that serialises
 * deploys, pruning to the last N releases, and hosts deployed one after another
 * that stop at the first failure.
 */
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../pipeline/deploy/deploy.js';
import { buildRelease, type Release } from '../../pipeline/deploy/release.js';
import type { DeploySettingsInput } from '../../pipeline/deploy/settings.js';
import { PipelineError } from '../../pipeline/errors.js';
import { trainModels } from './helpers/models.js';
import { startSshd, type Sshd } from './helpers/sshd.js';
import { createVm, pinsFor, settingsFor, STAND_IN_SERVER, type Vm } from './helpers/vm.js';

let sshd: Sshd;
let scratch: string;
let models: string[];
let v1: Release;
let v2: Release;
const vms: Vm[] = [];
const extraSshds: Sshd[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  scratch = await mkdtemp(join(tmpdir(), 'mlops-fleet-test-'));
  models = await trainModels(scratch, [['model.epochs=3'], ['model.epochs=4']]);
  v1 = await buildRelease({ server: STAND_IN_SERVER.dir, model: models[0]! });
  v2 = await buildRelease({ server: STAND_IN_SERVER.dir, model: models[1]! });
});

afterEach(async () => {
  await Promise.all(vms.splice(0).map((vm) => vm.stop()));
  await Promise.all(extraSshds.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function newVm(): Promise<Vm> {
  const vm = await createVm();
  vms.push(vm);
  return vm;
}

function deployTo(vm: Vm, release: Release, settings: Partial<DeploySettingsInput> = {}) {
  return deploy({
    settings: settingsFor(sshd, vm, settings),
    release,
    credentials: { privateKey: sshd.privateKey },
    pins: pinsFor(sshd),
    by: 'ci@runner',
    pid: process.pid,
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(25);
}

describe('the deploy lock', () => {
  it('refuses a second deploy while the first one holds the lock', async () => {
    const vm = await newVm();
    // The first deploy's service command waits for a go-ahead, holding the lock meanwhile.
    const first = deployTo(vm, v1, {
      service_command: `touch "$MLOPS_BASE/waiting"; while [ ! -e "$MLOPS_BASE/go" ]; do sleep 0.05; done; ${vm.serviceCommand}`,
    });
    await until(() => exists(join(vm.base, 'waiting')));

    const second = await deployTo(vm, v2).catch((error: unknown) => error);
    await writeFile(join(vm.base, 'go'), '');
    const result = await first;

    expect(second).toBeInstanceOf(PipelineError);
    expect((second as PipelineError).message).toMatch(
      new RegExp(
        `^root@127\\.0\\.0\\.1:${sshd.port}: another deploy holds ${vm.base}/\\.deploy\\.lock: release ${v1.version} by ci@runner \\(pid ${process.pid}\\) since `,
      ),
    );
    expect(result.release).toBe(v1.version);
    expect(await vm.releases()).toEqual([v1.version]);
    expect(await vm.current()).toBe(`releases/${v1.version}`);
    expect(await exists(join(vm.base, '.deploy.lock'))).toBe(false);
  });

  it('takes over a lock left behind by a deploy that died', async () => {
    const vm = await newVm();
    const lock = join(vm.base, '.deploy.lock');
    await mkdir(lock);
    await writeFile(join(lock, 'owner'), '{"by":"gone@elsewhere"}\n');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(lock, anHourAgo, anHourAgo);

    const result = await deployTo(vm, v1, { lock_stale_ms: 30 * 60_000 });

    expect(result.hosts[0]!.tookOverStaleLock).toBe(true);
    expect(await vm.current()).toBe(`releases/${v1.version}`);
    expect(await exists(lock)).toBe(false);
  });

  it('refuses a live deploy held longer than the stale limit, naming who holds it since when', async () => {
    const vm = await newVm();
    const stale = { lock_stale_ms: 2_000 };
    const first = deployTo(vm, v1, {
      ...stale,
      service_command: `touch "$MLOPS_BASE/waiting"; while [ ! -e "$MLOPS_BASE/go" ]; do sleep 0.05; done; ${vm.serviceCommand}`,
    });
    try {
      await until(() => exists(join(vm.base, 'waiting')));
      // Held for twice the stale limit, with its heartbeat kept fresh all along.
      await sleep(4_000);
      const second = await deployTo(vm, v2, stale).catch((error: unknown) => error);

      expect(second).toBeInstanceOf(PipelineError);
      expect((second as PipelineError).message).toMatch(
        new RegExp(
          `^root@127\\.0\\.0\\.1:${sshd.port}: another deploy holds ${vm.base}/\\.deploy\\.lock: release ${v1.version} by ci@runner \\(pid ${process.pid}\\) since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, last heartbeat \\d s ago$`,
        ),
      );
      expect((second as PipelineError).hint).toMatch(
        /taken over once the last heartbeat is 2 s old/,
      );
    } finally {
      await writeFile(join(vm.base, 'go'), '');
      await first.catch(() => undefined);
    }
    expect((await first).release).toBe(v1.version);
    expect(await vm.current()).toBe(`releases/${v1.version}`);
    expect(await exists(join(vm.base, '.deploy.lock'))).toBe(false);
  });

  it('takes over the lock of a deploy whose heartbeat stopped, saying whose it was', async () => {
    const vm = await newVm();
    const lock = join(vm.base, '.deploy.lock');
    await mkdir(lock);
    const owner = {
      token: 'f00dfeedf00dfeed',
      by: 'alice@laptop',
      pid: 4242,
      release: 'r0',
      started_at: '2026-11-25T09:01:12.000Z',
    };
    await writeFile(join(lock, 'owner'), `${JSON.stringify(owner)}\n`);
    await writeFile(join(lock, 'heartbeat'), '');
    // Its heartbeat stopped ten minutes ago; the default stale limit is 2 min.
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(join(lock, 'heartbeat'), tenMinutesAgo, tenMinutesAgo);
    const steps: string[] = [];

    const result = await deploy({
      settings: settingsFor(sshd, vm),
      release: v1,
      credentials: { privateKey: sshd.privateKey },
      pins: pinsFor(sshd),
      by: 'ci@runner',
      pid: process.pid,
      events: { step: (_host, text) => steps.push(text) },
    });

    expect(result.hosts[0]!.tookOverStaleLock).toBe(true);
    expect(steps[0]).toBe(
      `took over ${lock} from a deploy that died: release r0 by alice@laptop (pid 4242) since 2026-11-25T09:01:12.000Z, last heartbeat 10 min ago`,
    );
    expect(await vm.current()).toBe(`releases/${v1.version}`);
    expect(await exists(lock)).toBe(false);
  });
});

describe('keeping the last releases', () => {
  it('keeps the last N releases, the live one among them, and clears dead uploads', async () => {
    const vm = await newVm();
    const names = ['r1', 'r2', 'r3', 'r4'];
    const releases = await Promise.all(
      names.map((name, i) =>
        buildRelease({ server: STAND_IN_SERVER.dir, model: models[i % 2]!, version: name }),
      ),
    );
    await mkdir(join(vm.base, 'releases', '.r0.0badf00d.partial'), { recursive: true });
    const pruned: string[][] = [];
    for (const release of releases)
      pruned.push((await deployTo(vm, release, { keep: 2 })).hosts[0]!.pruned);

    expect(pruned).toEqual([[], [], ['r1'], ['r2']]);
    expect(await readdir(join(vm.base, 'releases'))).toEqual(expect.arrayContaining(['r3', 'r4']));
    expect(await vm.releases()).toEqual(['r3', 'r4']);
    expect(await vm.current()).toBe('releases/r4');
  });
});

describe('a release already on the VM', () => {
  it('whose manifest is not JSON is refused as other content, and left as it was', async () => {
    const vm = await newVm();
    const dir = join(vm.base, 'releases', v1.version);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'release.json'), '{"format": "mlops-rel');
    const error = await deployTo(vm, v1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toMatch(
      new RegExp(`: ${dir}/? already exists with other content$`),
    );
    expect(await readFile(join(dir, 'release.json'), 'utf8')).toBe('{"format": "mlops-rel');
    expect(await vm.current()).toBeNull();
  });
});

describe('the service command', () => {
  it('is told whether the server changed, so it can restart rather than reload', async () => {
    const vm = await newVm();
    const patched = join(scratch, 'server-patched');
    await cp(STAND_IN_SERVER.dir, patched, { recursive: true });
    await writeFile(join(patched, 'NOTICE'), 'a change to the server, not the model\n');
    const releases = [
      await buildRelease({ server: STAND_IN_SERVER.dir, model: models[0]!, version: 's1' }),
      await buildRelease({ server: STAND_IN_SERVER.dir, model: models[1]!, version: 's2' }),
      await buildRelease({ server: patched, model: models[1]!, version: 's3' }),
    ];
    const log = join(vm.base, 'service.log');
    for (const release of releases)
      await deployTo(vm, release, {
        service_command: `echo "$MLOPS_RELEASE $MLOPS_SERVER_CHANGED $MLOPS_RELEASE_DIR" >> ${log}; ${vm.serviceCommand}`,
      });

    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      `s1 1 ${vm.base}/releases/s1`,
      `s2 0 ${vm.base}/releases/s2`,
      `s3 1 ${vm.base}/releases/s3`,
    ]);
  });
});

describe('readiness', () => {
  it('can be probed at a URL instead of through the SSH connection', async () => {
    const vm = await newVm();
    const url = `http://127.0.0.1:${vm.servicePort}/readyz`;
    await deployTo(vm, v1, { readiness: { url, timeout_ms: 8_000, interval_ms: 100 } });
    const answer = (await (await fetch(url)).json()) as { model_version: string };
    expect(answer.model_version).toBe(v1.modelVersion);

    const error = await deployTo(vm, v2, {
      readiness: { url: `http://127.0.0.1:${vm.servicePort}/nowhere`, timeout_ms: 1_000 },
    }).catch((e: unknown) => e);
    expect((error as PipelineError).message).toMatch(
      new RegExp(
        `did not become ready within 1 s \\(last answer: HTTP 404\\); rolled back to ${v1.version}, which is not serving either`,
      ),
    );
  });
});

describe('several hosts', () => {
  it('deploys hosts in order and stops at the first one that fails', async () => {
    const [a, b, c] = [await newVm(), await newVm(), await newVm()];
    const hostB = await startSshd();
    const hostC = await startSshd();
    extraSshds.push(hostB, hostC);
    const settings = settingsFor(sshd, a);
    settings.targets = [
      { host: '127.0.0.1', port: sshd.port, user: 'root', base: a.base },
      { host: '127.0.0.1', port: hostB.port, user: 'root', base: b.base },
      { host: '127.0.0.1', port: hostC.port, user: 'root', base: c.base },
    ];
    // Host B presents a key nobody pinned; A and C are pinned.
    const error = await deploy({
      settings,
      release: v1,
      credentials: { privateKey: sshd.privateKey },
      pins: pinsFor(sshd, hostC),
      by: 'ci@runner',
      pid: process.pid,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe(
      `root@127.0.0.1:${hostB.port}: refused host key ${hostB.fingerprint}: no host key is pinned for this host. ` +
        `Stopped at host 2 of 3: deployed to root@127.0.0.1:${sshd.port}; not attempted: root@127.0.0.1:${hostC.port}`,
    );
    expect(await a.current()).toBe(`releases/${v1.version}`);
    expect(await readdir(b.base)).toEqual([]);
    expect(await readdir(c.base)).toEqual([]);
  });
});
