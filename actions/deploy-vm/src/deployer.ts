/**
 * What deploy-vm needs from a deployer: put a model release on the VM over SSH,
 * with the host key pinned, switch to it and report where it serves. The SSH
 * implementation lives in pipeline/deploy (`deployRelease`); this interface is
 * the seam it plugs into, and the plan-only deployer below lets a workflow check
 * its inputs and model without touching a server.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { deploy } from '../../../pipeline/deploy/deploy.js';
import { parseHostKeyPins } from '../../../pipeline/deploy/host-key.js';
import { buildRelease } from '../../../pipeline/deploy/release.js';
import { DeploySettingsSchema } from '../../../pipeline/deploy/settings.js';
import { PipelineError } from '../../../pipeline/errors.js';
import type { HostKey } from './host-key.js';
import { readModelMetadata } from './model.js';

export interface DeployRequest {
  host: string;
  port: number;
  user: string;
  /** OpenSSH or PEM private key; masked before the request is built. */
  privateKey: string;
  hostKey: HostKey;
  /** The model bundle folder to release. */
  modelDir: string;
  /** The server folder released beside the model. */
  serverDir?: string;
  /** Release name on the VM: the model version. */
  release: string;
  base: string;
  serviceCommand?: string;
  readyPort: number;
  readyTimeoutSeconds: number;
  keep: number;
  /** Progress lines for the log. */
  log?: (line: string) => void;
  /** Aborted on cancel: the VM is rolled back and its lock released before the step fails. */
  signal?: AbortSignal;
}

export interface DeployResult {
  release: string;
  /** Where the released model answers, when the deployer knows. */
  url?: string;
  /** false when nothing was changed on a server (plan only). */
  deployed: boolean;
}

export interface Deployer {
  deployRelease(request: DeployRequest): Promise<DeployResult>;
}

/** Checks everything a deploy would use, then stops before connecting. */
export const planOnlyDeployer: Deployer = {
  async deployRelease(request) {
    const metadata = await readModelMetadata(request.modelDir);
    if (metadata.model_version !== request.release)
      throw new PipelineError(
        'deploy',
        `${request.modelDir} holds model ${metadata.model_version}, not release ${request.release}`,
      );
    return { release: request.release, deployed: false };
  },
};

/** The SSH deploy of pipeline/deploy: upload, switch, reload, readiness, rollback. */
export const sshDeployer: Deployer = {
  async deployRelease(request) {
    if (!request.serverDir)
      throw new PipelineError('usage', 'input "server": required unless dry-run is true', {
        hint: 'Stage the server first (deploy/stage-server.sh .mlops/server) and pass that folder.',
      });
    const settings = DeploySettingsSchema.parse({
      targets: [{ host: request.host, port: request.port, user: request.user }],
      base: request.base,
      ...(request.serviceCommand ? { service_command: request.serviceCommand } : {}),
      readiness: { port: request.readyPort, timeout_ms: request.readyTimeoutSeconds * 1000 },
      keep: request.keep,
    });
    const release = await buildRelease({
      server: resolve(request.serverDir),
      model: resolve(request.modelDir),
      version: request.release,
    });
    const result = await deploy({
      settings,
      release,
      credentials: { privateKey: request.privateKey },
      // The action pins one key for its one host: its fingerprint is the pin.
      pins: parseHostKeyPins([request.hostKey.fingerprint]),
      by: `github-actions@${hostname()}`,
      pid: process.pid,
      events: { step: (host, text) => request.log?.(`${host}: ${text}`) },
      signal: request.signal,
    });
    return { release: result.release, deployed: true };
  },
};
