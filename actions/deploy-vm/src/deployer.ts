/**
 * What deploy-vm needs from a deployer: put a model release on the VM over SSH,
 * with the host key pinned, switch to it and report where it serves. The SSH
 * implementation lives in pipeline/deploy (`deployRelease`); this interface is
 * the seam it plugs into, and the plan-only deployer below lets a workflow check
 * its inputs and model without touching a server.
 */
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
  /** Release name on the VM: the model version. */
  release: string;
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

/** The SSH deployer, once pipeline/deploy is part of the build. */
export const sshDeployer: Deployer = {
  async deployRelease(request) {
    throw new PipelineError(
      'deploy',
      `cannot deploy release ${request.release} to ${request.user}@${request.host}:${request.port}: this build of deploy-vm has no SSH deployer`,
      { hint: 'Use dry-run: true to check the inputs and the model without deploying.' },
    );
  },
};
