/**
 * `mlops deploy`: put one release live on each host in turn. Per host: take the
 * lock, upload, switch `current`, run the service command, wait for readiness;
 * on failure switch back, run the service command again and report the rollback.
 * The first host that fails stops the deploy; the hosts before it keep the new
 * release, the ones after it are not touched. An aborted `signal` stops it the
 * same way: the command running on the VM is ended there, a host whose `current`
 * had moved is rolled back, and its lock is released.
 */
import { PipelineError } from '../errors.js';
import { pointCurrentAt, readCurrent, removeCurrent, type LiveRelease } from './activate.js';
import {
  abortReason,
  connect,
  interrupted,
  withEnv,
  type Credentials,
  type RemoteHost,
} from './connection.js';
import type { HostKeyPins } from './host-key.js';
import { layoutOf, releaseDir, type Layout } from './layout.js';
import { acquireLock } from './lock.js';
import { pruneReleases } from './prune.js';
import { readinessProber, waitUntilReady } from './readiness.js';
import { serverDiffers, type Release } from './release.js';
import { describeTarget, type DeploySettings } from './settings.js';
import { uploadRelease, type UploadResult } from './upload.js';

export interface DeployEvents {
  step?(host: string, text: string): void;
}

export interface DeployRequest {
  settings: DeploySettings;
  release: Release;
  credentials: Credentials;
  pins: HostKeyPins;
  /** Who deploys (`user@machine`) and their process id, for the lock's owner file. */
  by: string;
  pid: number;
  events?: DeployEvents;
  /**
   * Stops the deploy (the shells abort it on SIGINT and SIGTERM, with the signal's
   * name as the reason). The host being deployed is rolled back if its `current`
   * had moved, and its lock released, before the deploy fails.
   */
  signal?: AbortSignal;
}

export interface HostResult {
  host: string;
  previous: string | null;
  upload: UploadResult;
  pruned: string[];
  tookOverStaleLock: boolean;
}

export interface DeployResult {
  release: string;
  modelVersion: string;
  hosts: HostResult[];
}

/**
 * Run the service command for the release now live, then wait for it to serve
 * that release; a reason when it does not. Both share the readiness timeout,
 * counted from here. MLOPS_SERVER_CHANGED tells the command whether the server
 * itself changed (a restart) or only the model (a reload).
 */
async function reloadAndCheck(
  remote: RemoteHost,
  settings: DeploySettings,
  layout: Layout,
  live: LiveRelease,
  replaced: LiveRelease | null,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { timeout_ms: timeoutMs } = settings.readiness;
  const deadline = Date.now() + timeoutMs;
  const env = {
    MLOPS_BASE: layout.base,
    MLOPS_RELEASE: live.version,
    MLOPS_RELEASE_DIR: releaseDir(layout, live.version),
    MLOPS_SERVER_CHANGED: serverDiffers(replaced?.manifest, live.manifest) ? '1' : '0',
  };
  const command = await remote.exec(withEnv(env, settings.service_command), {
    timeoutMs,
    signal,
  });
  if (command.timedOut)
    return `the service command was still running after ${timeoutMs / 1000} s and was stopped`;
  if (command.code !== 0) {
    const output = (command.stderr || command.stdout).trim().split('\n').slice(-3).join(' / ');
    return `the service command failed (exit ${command.code})${output ? `: ${output}` : ''}`;
  }
  const probe = readinessProber(settings.readiness, (port) => remote.forward(port));
  const outcome = await waitUntilReady(
    probe,
    settings.readiness,
    { modelVersion: live.modelVersion, release: live.version },
    { deadline, signal },
  );
  if (outcome.ready) return undefined;
  return `release ${live.version} did not become ready within ${timeoutMs / 1000} s (last answer: ${outcome.last})`;
}

async function rollBack(
  remote: RemoteHost,
  settings: DeploySettings,
  layout: Layout,
  release: Release,
  previous: LiveRelease | null,
  failure: string,
  interrupted: boolean,
): Promise<PipelineError> {
  const hint = interrupted
    ? `releases/${release.version} stays on the VM; a later deploy of it reuses it.`
    : `releases/${release.version} stays on the VM for inspection; the service's own log says why it failed.`;
  if (previous?.version === release.version)
    return new PipelineError(
      'deploy',
      `${remote.name}: ${failure}; it was already the live release, so there is nothing to roll back to`,
      { hint },
    );
  try {
    if (!previous) {
      await removeCurrent(remote, layout);
      return new PipelineError(
        'deploy',
        `${remote.name}: ${failure}; no earlier release to roll back to, so current was removed`,
        { hint },
      );
    }
    await pointCurrentAt(remote, layout, previous.version);
    const failed = { version: release.version, manifest: release.manifest };
    // Not interruptible: an interrupted deploy rolls back before it ends.
    const again = await reloadAndCheck(remote, settings, layout, previous, failed);
    return new PipelineError(
      'deploy',
      `${remote.name}: ${failure}; rolled back to ${previous.version}${again ? `, which is not serving either: ${again}` : ', which is serving again'}`,
      { hint },
    );
  } catch (error) {
    return new PipelineError(
      'deploy',
      `${remote.name}: ${failure}; the rollback failed too: ${(error as Error).message}`,
      { hint: `Point ${layout.current} at a good release by hand.`, cause: error },
    );
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function deployHost(remote: RemoteHost, request: DeployRequest): Promise<HostResult> {
  const { settings, release } = request;
  const layout = layoutOf(remote.target.base ?? settings.base);
  const step = (text: string) => request.events?.step?.(remote.name, text);
  // A heartbeat that finds the lock taken over stops this deploy as an interrupt would.
  const lost = new AbortController();
  const lock = await acquireLock(remote, layout, {
    by: request.by,
    pid: request.pid,
    release: release.version,
    staleMs: settings.lock_stale_ms,
    onLost: (reason) => lost.abort(reason),
  });
  if (lock.tookOver) step(`took over ${layout.lock} from a deploy that died: ${lock.tookOver}`);
  const signal = request.signal ? AbortSignal.any([request.signal, lost.signal]) : lost.signal;
  try {
    const previous = await readCurrent(remote, layout);
    const unchanged = () =>
      new PipelineError(
        'deploy',
        `${remote.name}: interrupted (${abortReason(signal)}) before current was switched; ${previous ? `release ${previous.version} stays live` : 'no release was live'}`,
      );
    if (signal.aborted) throw unchanged();
    const upload = await uploadRelease(remote, release, layout, previous, signal).catch(
      (error: unknown) => {
        throw signal.aborted ? unchanged() : error;
      },
    );
    if (signal.aborted) throw unchanged();
    const dir = releaseDir(layout, release.version);
    step(
      upload.outcome === 'uploaded'
        ? `uploaded ${plural(upload.sent, 'file')} to ${dir}${upload.linked ? ` (${upload.linked} unchanged, linked from ${previous?.version})` : ''}`
        : `${dir} is already there, same content`,
    );
    await pointCurrentAt(remote, layout, release.version);
    step(`current -> releases/${release.version} (was ${previous?.version ?? 'none'})`);
    const live = {
      version: release.version,
      modelVersion: release.modelVersion,
      manifest: release.manifest,
    };
    // A connection lost here still deserves a rollback attempt (which reports if it cannot).
    const failure = await reloadAndCheck(remote, settings, layout, live, previous, signal).catch(
      (error: Error) =>
        signal.aborted
          ? `interrupted (${abortReason(signal)}) before release ${release.version} was ready`
          : `the service command could not run (${error.message})`,
    );
    if (failure) {
      if (lost.signal.aborted)
        throw new PipelineError(
          'deploy',
          `${remote.name}: ${failure}; current is left at ${release.version}, for the deploy that holds the lock now`,
        );
      step(`${failure}; rolling back to ${previous?.version ?? 'nothing'}`);
      throw await rollBack(remote, settings, layout, release, previous, failure, signal.aborted);
    }
    step(`ready, serving model ${release.modelVersion}`);
    const pruned = await pruneReleases(remote, layout, settings.keep, release.version);
    if (pruned.length) step(`removed old releases ${pruned.join(', ')}`);
    return {
      host: remote.name,
      previous: previous?.version ?? null,
      upload,
      pruned,
      tookOverStaleLock: lock.tookOver !== undefined,
    };
  } finally {
    await lock.release();
  }
}

export async function deploy(request: DeployRequest): Promise<DeployResult> {
  const hosts: HostResult[] = [];
  const { targets } = request.settings;
  for (const [index, target] of targets.entries()) {
    try {
      if (request.signal?.aborted) throw interrupted(describeTarget(target), request.signal);
      const remote = await connect(target, request.credentials, request.pins, {
        timeoutMs: request.settings.connect_timeout_ms,
        commandTimeoutMs: request.settings.command_timeout_ms,
        signal: request.signal,
      });
      try {
        hosts.push(await deployHost(remote, request));
      } finally {
        remote.close();
      }
    } catch (error) {
      // An SSH or SFTP failure of ours is still the user's to act on: name the host.
      const failure =
        error instanceof PipelineError
          ? error
          : new PipelineError(
              'deploy',
              `${describeTarget(target)}: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
      if (targets.length === 1) throw failure;
      const done = hosts.map((h) => h.host);
      const skipped = targets.slice(index + 1).map(describeTarget);
      throw new PipelineError(
        'deploy',
        `${failure.message}. Stopped at host ${index + 1} of ${targets.length}: deployed to ${done.join(', ') || 'none'}; not attempted: ${skipped.join(', ') || 'none'}`,
        { hint: failure.hint, cause: failure },
      );
    }
  }
  return { release: request.release.version, modelVersion: request.release.modelVersion, hosts };
}
