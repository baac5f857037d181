/**
 * Deploys against a real OpenSSH server with `mlops serve` as the release's
 * server while predictions keep coming: the new model takes over with no failed
 * request, and a release that never becomes ready is rolled back with the old
 * one serving throughout. Then the deploy's own failure paths: a failing service
 * command, and a host whose key is not the pinned one gets nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../pipeline/deploy/deploy.js';
import { parseHostKeyPins, type HostKeyPins } from '../../pipeline/deploy/host-key.js';
import { buildRelease, type Release } from '../../pipeline/deploy/release.js';
import type { DeploySettingsInput } from '../../pipeline/deploy/settings.js';
import { PipelineError } from '../../pipeline/errors.js';
import { startLoad } from './helpers/load.js';
import { corruptCopy, modelVersionOf, trainModels } from './helpers/models.js';
import { startSshd, strayHostKey, type Sshd } from './helpers/sshd.js';
import {
  createVm,
  pinsFor,
  realServer,
  settingsFor,
  STAND_IN_SERVER,
  type ReleaseServer,
  type Vm,
} from './helpers/vm.js';

let sshd: Sshd;
let scratch: string;
let server: ReleaseServer;
/** Releases of `mlops serve`. */
let v1: Release;
let v2: Release;
let broken: Release;
/** The same models with the stand-in server: small releases for the failure paths. */
let small1: Release;
let small2: Release;
const vms: Vm[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  scratch = await mkdtemp(join(tmpdir(), 'mlops-deploy-test-'));
  const [m1, m2] = await trainModels(scratch, [['model.epochs=3'], ['model.epochs=4']]);
  // Same model version as v1, so only the release the server names tells them apart.
  const bad = await corruptCopy(m1!, join(scratch, 'model-broken'));
  server = await realServer();
  v1 = await buildRelease({ server: server.dir, model: m1! });
  v2 = await buildRelease({ server: server.dir, model: m2! });
  broken = await buildRelease({
    server: server.dir,
    model: bad,
    version: `${await modelVersionOf(m1!)}-broken`,
  });
  small1 = await buildRelease({ server: STAND_IN_SERVER.dir, model: m1! });
  small2 = await buildRelease({ server: STAND_IN_SERVER.dir, model: m2! });
});

afterEach(async () => {
  await Promise.all(vms.splice(0).map((vm) => vm.stop()));
});

afterAll(async () => {
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Every path under a directory with its modification time. */
async function snapshot(dir: string): Promise<Record<string, number>> {
  const entries = await readdir(dir, { recursive: true });
  const times = await Promise.all(entries.map(async (e) => (await stat(join(dir, e))).mtimeMs));
  return Object.fromEntries(entries.map((e, i) => [e, times[i]!]));
}

async function newVm(releaseServer?: ReleaseServer): Promise<Vm> {
  const vm = await createVm(releaseServer);
  vms.push(vm);
  return vm;
}

function deployTo(
  vm: Vm,
  release: Release,
  options: { pins?: HostKeyPins; settings?: Partial<DeploySettingsInput> } = {},
) {
  return deploy({
    settings: settingsFor(sshd, vm, options.settings),
    release,
    credentials: { privateKey: sshd.privateKey },
    pins: options.pins ?? pinsFor(sshd),
    by: 'ci@runner',
    pid: process.pid,
  });
}

describe('deploy over SSH to mlops serve, under load', () => {
  // One VM for both: the first deploy sends the whole staged project, later ones
  // link it from the live release. Each test starts by making v1 live.
  let live: Vm;
  beforeAll(async () => {
    live = await createVm(server);
  });
  afterAll(async () => {
    await live?.stop();
  });

  it('switches to the new model under load with no failed request', async () => {
    await deployTo(live, v1);
    const load = startLoad(live);
    await load.waitFor(v1.modelVersion, 20);

    const result = await deployTo(live, v2);
    await load.waitFor(v2.modelVersion, 20);
    const traffic = await load.stop();

    const [host] = result.hosts;
    expect(host!.previous).toBe(v1.version);
    // The unchanged server is linked from the live release, not sent again.
    expect(host!.upload.outcome).toBe('uploaded');
    const serverFiles = v2.files.filter((f) => f.path.startsWith('server/')).length;
    expect(serverFiles).toBeGreaterThan(1000);
    expect(host!.upload.linked).toBeGreaterThanOrEqual(serverFiles);
    expect(host!.upload.sent + host!.upload.linked).toBe(v2.files.length);
    const releaseFile = (r: Release, path: string) => join(live.base, 'releases', r.version, path);
    expect((await stat(releaseFile(v2, 'server/bin/mlops.js'))).ino).toBe(
      (await stat(releaseFile(v1, 'server/bin/mlops.js'))).ino,
    );
    for (const file of v2.manifest.files)
      expect(sha256(await readFile(releaseFile(v2, file.path))), file.path).toBe(file.sha256);
    expect(await live.current()).toBe(`releases/${v2.version}`);
    expect(traffic.errors).toBe(0);
    expect(traffic.timeouts).toBe(0);
    expect(traffic.non2xx).toBe(0);
    expect(traffic.versions).toContain(v1.modelVersion);
    expect(traffic.versions.at(-1)).toBe(v2.modelVersion);
    // What the server says it serves, once the deploy is done.
    const ready = (await (await fetch(`http://127.0.0.1:${live.servicePort}/readyz`)).json()) as {
      model_version: string;
      release: string;
    };
    expect(ready).toMatchObject({ model_version: v2.modelVersion, release: v2.version });
  });

  it('rolls back a release that never becomes ready while the old one keeps serving', async () => {
    await deployTo(live, v1);
    const load = startLoad(live);
    await load.waitFor(v1.modelVersion, 20);

    const failed = await deployTo(live, broken, {
      settings: { readiness: { port: live.servicePort, timeout_ms: 3_000, interval_ms: 100 } },
    }).catch((error: unknown) => error);
    const during = await load.stop();
    const after = startLoad(live);
    await after.waitFor(v1.modelVersion, 20);
    const traffic = await after.stop();

    expect(failed).toBeInstanceOf(PipelineError);
    expect((failed as PipelineError).code).toBe('deploy');
    expect((failed as PipelineError).message).toMatch(
      new RegExp(
        `^root@127\\.0\\.0\\.1:${sshd.port}: release ${broken.version} did not become ready .*release ${v1.version}\\); rolled back to ${v1.version}, which is serving again$`,
      ),
    );
    expect(await live.current()).toBe(`releases/${v1.version}`);
    // The failed release stays on the VM for inspection.
    expect(await live.releases()).toContain(broken.version);
    // The old model answered every request, during the deploy and after it.
    expect(during.versions.length).toBeGreaterThan(0);
    expect(during.errors + during.timeouts + during.non2xx).toBe(0);
    expect(new Set(during.versions)).toEqual(new Set([v1.modelVersion]));
    expect(traffic.errors + traffic.timeouts + traffic.non2xx).toBe(0);
    expect(new Set(traffic.versions)).toEqual(new Set([v1.modelVersion]));
  });
});

describe('deploy over SSH, failure paths', () => {
  it('rolls back when the service command fails, and removes current when there is nothing to go back to', async () => {
    const vm = await newVm();
    const failing = `[ "$MLOPS_RELEASE" = ${small2.version} ] && { echo "unit not found" >&2; exit 5; }; ${vm.serviceCommand}`;
    const first = await deployTo(vm, small2, { settings: { service_command: failing } }).catch(
      (error: unknown) => error,
    );
    expect((first as PipelineError).message).toBe(
      `root@127.0.0.1:${sshd.port}: the service command failed (exit 5): unit not found; no earlier release to roll back to, so current was removed`,
    );
    expect(await vm.current()).toBeNull();

    await deployTo(vm, small1, { settings: { service_command: failing } });
    const second = await deployTo(vm, small2, { settings: { service_command: failing } }).catch(
      (error: unknown) => error,
    );
    expect((second as PipelineError).message).toBe(
      `root@127.0.0.1:${sshd.port}: the service command failed (exit 5): unit not found; rolled back to ${small1.version}, which is serving again`,
    );
    expect(await vm.current()).toBe(`releases/${small1.version}`);
  });

  it('refuses a host whose key is not the pinned one before uploading anything, and accepts its fingerprint', async () => {
    const vm = await newVm();
    const stray = await strayHostKey(scratch);
    const cases: [HostKeyPins, RegExp][] = [
      [
        parseHostKeyPins([`[127.0.0.1]:${sshd.port} ${stray.line}`]),
        /matches no pinned key \(the host key changed/,
      ],
      [parseHostKeyPins([stray.fingerprint]), /matches no pinned key/],
      [
        parseHostKeyPins([
          `[127.0.0.1]:${sshd.port + 1} ${sshd.knownHostsLine.split(' ').slice(1).join(' ')}`,
        ]),
        /no host key is pinned for this host/,
      ],
    ];
    const refused = async (release: Release) => {
      for (const [pins, reason] of cases) {
        const error = await deployTo(vm, release, { pins }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PipelineError);
        expect((error as PipelineError).message).toContain(
          `root@127.0.0.1:${sshd.port}: refused host key ${sshd.fingerprint}`,
        );
        expect((error as PipelineError).message).toMatch(reason);
      }
    };

    // A fresh VM gets nothing at all, not even the releases directory.
    await refused(small1);
    expect(await readdir(vm.base)).toEqual([]);

    // A VM with a live release keeps it untouched: same files, same link, no lock.
    const result = await deployTo(vm, small1, { pins: parseHostKeyPins([sshd.fingerprint]) });
    expect(result.hosts.map((h) => h.host)).toEqual([`root@127.0.0.1:${sshd.port}`]);
    const before = await snapshot(join(vm.base, 'releases'));
    await refused(small2);
    expect(await snapshot(join(vm.base, 'releases'))).toEqual(before);
    expect(await vm.current()).toBe(`releases/${small1.version}`);
    expect(await readdir(vm.base)).not.toContain('.deploy.lock');
  });
});
