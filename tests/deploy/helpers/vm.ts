/**
 * A "VM" for the deploy tests: a release root on this machine, reached through
 * the test's sshd, with the fixture release server as its service.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sh } from '../../../pipeline/deploy/connection.js';
import { parseHostKeyPins, type HostKeyPins } from '../../../pipeline/deploy/host-key.js';
import {
  DeploySettingsSchema,
  type DeploySettings,
  type DeploySettingsInput,
} from '../../../pipeline/deploy/settings.js';
import { freePort, type Sshd } from './sshd.js';

const run = promisify(execFile);

/**
 * The server part of the test releases, and how the VM's service manager starts
 * it. `mlops serve` takes their place by staging the project as the server
 * (deploy/stage-server.sh DIR) and starting it as
 * `node "$MLOPS_BASE/current/server/bin/mlops.js" serve --model "$MLOPS_BASE/current/model" --port "$PORT"`.
 */
export const RELEASE_SERVER = resolve(import.meta.dirname, '../fixtures/release-server');
export const START_SERVER = 'node "$MLOPS_BASE/current/server/server.mjs"';
const SERVICE_MANAGER = resolve(import.meta.dirname, '../fixtures/service.sh');

export interface Vm {
  base: string;
  servicePort: number;
  /** The deploy's service command for this VM: start or reload its server. */
  serviceCommand: string;
  current(): Promise<string | null>;
  releases(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function createVm(): Promise<Vm> {
  const base = await mkdtemp(join(tmpdir(), 'mlops-vm-'));
  const servicePort = await freePort();
  const serviceCommand = `PORT=${servicePort} START=${sh(START_SERVER)} sh ${sh(SERVICE_MANAGER)}`;
  return {
    base,
    servicePort,
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
        await run('kill', ['-TERM', String(pid)]).catch(() => undefined);
      } catch {
        // never started
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
    readiness: { port: list[0]!.servicePort, timeout_ms: 8_000, interval_ms: 100 },
    ...extra,
  });
}

export function pinsFor(...sshds: Sshd[]): HostKeyPins {
  return parseHostKeyPins([sshds.map((s) => s.knownHostsLine).join('\n')]);
}
