/**
 * A "VM" for the deploy tests: a release root on this machine, reached through
 * the test's sshd, with `mlops serve` (or a stand-in) as its service.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sh } from '../../../pipeline/deploy/connection.js';
import { parseHostKeyPins, type HostKeyPins } from '../../../pipeline/deploy/host-key.js';
import {
  DeploySettingsSchema,
  type DeploySettings,
  type DeploySettingsInput,
} from '../../../pipeline/deploy/settings.js';
import { freePort, type Sshd } from './sshd.js';
import { stagedServer } from './staged-server.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server part of a release, and how the VM's service manager starts it. */
export interface ReleaseServer {
  dir: string;
  /** The command the VM's service manager runs, with $MLOPS_BASE and $PORT set. */
  start: string;
}

/**
 * `mlops serve` itself, staged as users stage it, started as the systemd unit
 * (deploy/mlops-serve.service) starts it. Its bearer token comes from
 * MLOPS_API_TOKEN, as from the unit's EnvironmentFile.
 */
export async function realServer(): Promise<ReleaseServer> {
  return {
    dir: await stagedServer(),
    start:
      'node "$MLOPS_BASE/current/server/bin/mlops.js" serve --model "$MLOPS_BASE/current/model" --host 127.0.0.1 --port "$PORT" --log-level warn',
  };
}

/**
 * A small server meeting the same contract, for the tests of the deploy's own
 * mechanics (lock, pruning, several hosts, the service command's variables).
 * Those build many releases and fill many fresh VMs: with the staged project
 * (16,000 files, 460 MB) each release costs seconds of hashing and each fresh
 * VM a full upload, and the server is not what they test.
 */
export const STAND_IN_SERVER: ReleaseServer = {
  dir: resolve(import.meta.dirname, '../fixtures/release-server'),
  start: 'node "$MLOPS_BASE/current/server/server.mjs"',
};
const SERVICE_MANAGER = resolve(import.meta.dirname, '../fixtures/service.sh');

export interface Vm {
  base: string;
  servicePort: number;
  /** The bearer token its server requires on predict. */
  token: string;
  /** The deploy's service command for this VM: start or reload its server. */
  serviceCommand: string;
  current(): Promise<string | null>;
  releases(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function createVm(server: ReleaseServer = STAND_IN_SERVER): Promise<Vm> {
  const base = await mkdtemp(join(tmpdir(), 'mlops-vm-'));
  const servicePort = await freePort();
  const token = randomBytes(16).toString('hex');
  const serviceCommand = `MLOPS_API_TOKEN=${token} PORT=${servicePort} START=${sh(server.start)} sh ${sh(SERVICE_MANAGER)}`;
  return {
    base,
    servicePort,
    token,
    serviceCommand,
    async current() {
      try {
        return await readlink(join(base, 'current'));
      } catch {
        return null;
      }
    },
    async releases() {
      try {
        return (await readdir(join(base, 'releases'))).sort();
      } catch {
        return [];
      }
    },
    async stop() {
      try {
        const pid = Number(await readFile(join(base, 'run', 'server.pid'), 'utf8'));
        process.kill(pid, 'SIGTERM');
        // Gone before its release root is removed, so no server outlives its test.
        for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
      } catch {
        // never started, or already gone
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

export function settingsFor(
  sshd: Sshd,
  vms: Vm | Vm[],
  extra: Partial<DeploySettingsInput> = {},
): DeploySettings {
  const list = Array.isArray(vms) ? vms : [vms];
  return DeploySettingsSchema.parse({
    targets: list.map((vm) => ({
      host: '127.0.0.1',
      port: sshd.port,
      user: 'root',
      base: vm.base,
    })),
    service_command: list[0]!.serviceCommand,
    // An upper bound: a first start of the real server loads TensorFlow.js on shared cores.
    readiness: { port: list[0]!.servicePort, timeout_ms: 30_000, interval_ms: 100 },
    ...extra,
  });
}

export function pinsFor(...sshds: Sshd[]): HostKeyPins {
  return parseHostKeyPins([sshds.map((s) => s.knownHostsLine).join('\n')]);
}
