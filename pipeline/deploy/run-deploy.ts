/**
 * The one way into a deploy, for `mlops deploy` and the deploy-vm action alike.
 * A shell hands over what its user gave (settings, host key text, the private
 * key, the model and server folders) and gets a typed result. In order: the
 * settings are checked by the one schema, the host key pins by the one parser,
 * the private key is parsed, and the release is built from the folders (the
 * model folder must be whole: every file there, the weights as long as
 * model.json says; every file is hashed). A dry run stops there, before any host
 * is contacted, and fails if any of those does. Otherwise `deploy` runs with the
 * shell's AbortSignal, which rolls a host back and releases its lock.
 */
import { PipelineError } from '../errors.js';
import { abortReason, checkCredentials, type Credentials } from './connection.js';
import { deploy, type DeployEvents, type DeployResult } from './deploy.js';
import { parseHostKeyPins, type HostKeyPins, type HostKeyPinText } from './host-key.js';
import { buildRelease, type Release } from './release.js';
import {
  parseDeploySettings,
  settingPath,
  type DeploySettings,
  type DeploySettingsInput,
  type SettingName,
} from './settings.js';

export interface DeployRunRequest {
  /** As the shell gathered them; checked here. */
  settings: DeploySettingsInput;
  /** What the shell calls a setting in messages (`--base`, `input "base"`); `deploy setting base` when not given. */
  settingName?: SettingName;
  /** Pins as the user wrote them: fingerprints, public keys, known_hosts lines. */
  hostKeys: readonly HostKeyPinText[];
  /** Trust each pinned key for every host, whatever host patterns its line names (deploy-vm's one host). */
  hostKeysForEveryHost?: boolean;
  /** How this shell's user pins a key, for the error when none is pinned. */
  hostKeyHint?: string;
  credentials: Credentials;
  /** The model folder; its files land in `model/` of the release. */
  model: string;
  /** The server folder; its files land in `server/`. Only a dry run may go without it. */
  server?: string;
  /** The release name; the model version when omitted. */
  release?: string;
  /** Check everything, then stop before contacting any host. */
  dryRun?: boolean;
  /** Who deploys (`user@machine`) and their process id, for the lock's owner file. */
  by: string;
  pid: number;
  events?: DeployRunEvents;
  /**
   * Last word before any host is contacted, dry run or not: everything is checked
   * and the release built. Throwing stops the deploy with nothing sent.
   */
  approve?(plan: DeployPlan): Promise<void>;
  /** Stops the deploy: while planning, before anything is sent; later, as `deploy` describes. */
  signal?: AbortSignal;
}

export interface DeployRunEvents extends DeployEvents {
  /** Everything is checked and the release built; no host has been contacted yet. */
  planned?(plan: DeployPlan): void;
}

/** What a deploy will do, every part of it checked. */
export interface DeployPlan {
  settings: DeploySettings;
  pins: HostKeyPins;
  /** In a dry run without a server folder, the model part alone. */
  release: Release;
}

export type DeployRunResult =
  | { deployed: false; plan: DeployPlan }
  | { deployed: true; plan: DeployPlan; result: DeployResult };

const NO_PIN_HINT =
  "Pin the VM's host key: its SHA256 fingerprint (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the VM), its public key, or a known_hosts line (`ssh-keyscan -t ed25519 HOST`).";

function pinsOf(request: DeployRunRequest): HostKeyPins {
  const pins = parseHostKeyPins(request.hostKeys, { everyHost: request.hostKeysForEveryHost });
  if (!pins.fingerprints.length && !pins.knownHosts.length)
    throw new PipelineError(
      'usage',
      'no host key pinned: the VM could not be told from an impostor',
      { hint: request.hostKeyHint ?? NO_PIN_HINT },
    );
  return pins;
}

async function plan(request: DeployRunRequest): Promise<DeployPlan> {
  const name = request.settingName ?? settingPath;
  if (!request.server && !request.dryRun)
    throw new PipelineError('usage', `${name(['server'])}: required unless dry-run is true`, {
      hint: 'Stage the server first (deploy/stage-server.sh .mlops/server) and pass that folder.',
    });
  const settings = parseDeploySettings(request.settings, name);
  const pins = pinsOf(request);
  checkCredentials(request.credentials);
  const release = await buildRelease({
    server: request.server,
    model: request.model,
    version: request.release,
    signal: request.signal,
  });
  return { settings, pins, release };
}

export async function runDeploy(request: DeployRunRequest): Promise<DeployRunResult> {
  const { signal } = request;
  const checked = await plan(request).catch((error: unknown) => {
    if (signal?.aborted && !(error instanceof PipelineError))
      throw new PipelineError(
        'deploy',
        `interrupted (${abortReason(signal)}) while the release was being built; no host was contacted`,
      );
    throw error;
  });
  request.events?.planned?.(checked);
  await request.approve?.(checked);
  if (request.dryRun) return { deployed: false, plan: checked };
  const result = await deploy({
    settings: checked.settings,
    release: checked.release,
    credentials: request.credentials,
    pins: checked.pins,
    by: request.by,
    pid: request.pid,
    events: request.events,
    signal,
  });
  return { deployed: true, plan: checked, result };
}
