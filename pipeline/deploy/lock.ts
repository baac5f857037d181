/**
 * A lock on the VM that serialises deploys: `mkdir` is atomic, so of two deploys
 * only one creates `<base>/.deploy.lock`. The owner file says who holds it (user
 * and machine, process, release, since when), and the holder touches `heartbeat`
 * beside it while it runs. A lock whose heartbeat is older than the stale limit
 * (by the VM's own clock) was left by a deploy that died and is taken over; a
 * live one is refused however long it has been held.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { sh, type RemoteHost } from './connection.js';
import type { Layout } from './layout.js';

export const LockOwnerSchema = z.object({
  token: z.string(),
  by: z.string(),
  pid: z.number(),
  release: z.string(),
  started_at: z.string(),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;

export interface HeldLock {
  owner: LockOwner;
  /** The deploy that died whose lock was taken over to get this one, in words. */
  tookOver?: string;
  /** Stop the heartbeat and remove the lock, if it is still ours. */
  release(): Promise<void>;
}

export interface LockRequest {
  by: string;
  pid: number;
  release: string;
  /** A heartbeat older than this marks a deploy that died. */
  staleMs: number;
  /** Called once when a heartbeat finds the lock is no longer ours. */
  onLost?(reason: string): void;
}

/** Four heartbeats per stale limit, at most 15 s apart: one late heartbeat is no death. */
const heartbeatEvery = (staleMs: number) =>
  Math.max(250, Math.min(15_000, Math.floor(staleMs / 4)));

const paths = (layout: Layout) => ({
  owner: `${layout.lock}/owner`,
  heartbeat: `${layout.lock}/heartbeat`,
});

async function tryCreate(remote: RemoteHost, layout: Layout, owner: LockOwner): Promise<boolean> {
  const { owner: ownerFile, heartbeat } = paths(layout);
  // One round trip: mkdir is the lock, the owner file says whose it is.
  const script = [
    sh('mkdir', '-p', '--', layout.releases),
    `{ ${sh('mkdir', '--', layout.lock)} 2> /dev/null || exit 10; }`,
    `${sh('printf', '%s\n', JSON.stringify(owner))} > ${sh(`${ownerFile}.tmp`)}`,
    sh('mv', '-f', '--', `${ownerFile}.tmp`, ownerFile),
    sh('touch', '--', heartbeat),
  ].join(' && ');
  const result = await remote.exec(script);
  if (result.code === 10) return false;
  if (result.code !== 0)
    throw new PipelineError(
      'deploy',
      `${remote.name}: cannot create ${layout.lock} (exit ${result.code}): ${result.stderr.trim()}`,
      { hint: `The SSH user needs write access to ${layout.base}.` },
    );
  return true;
}

/**
 * Seconds since the lock's last heartbeat (since it was made, for a lock of a
 * version that kept none) and its owner, or undefined when it is gone.
 */
async function inspect(remote: RemoteHost, layout: Layout) {
  const { owner: ownerFile, heartbeat } = paths(layout);
  const script = [
    `beat=${sh(heartbeat)}; [ -e "$beat" ] || beat=${sh(layout.lock)}`,
    'age=$(( $(date +%s) - $(stat -c %Y -- "$beat") )) || exit 3',
    'echo "$age"',
    `cat -- ${sh(ownerFile)} 2> /dev/null; true`,
  ].join('; ');
  const result = await remote.exec(script);
  if (result.code !== 0) return undefined;
  const [age, ...rest] = result.stdout.split('\n');
  let owner: LockOwner | undefined;
  try {
    owner = LockOwnerSchema.parse(JSON.parse(rest.join('\n')));
  } catch {
    owner = undefined;
  }
  return { idleSeconds: Number(age), owner };
}

const duration = (seconds: number) =>
  seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;

function describeHolder(held: { idleSeconds: number; owner?: LockOwner }): string {
  const who = held.owner
    ? `release ${held.owner.release} by ${held.owner.by} (pid ${held.owner.pid}) since ${held.owner.started_at}`
    : 'a deploy that left no readable owner file';
  return `${who}, last heartbeat ${duration(held.idleSeconds)} ago`;
}

/** Touch the heartbeat while the lock is ours; tell `onLost` once it is not. */
function keepAlive(
  remote: RemoteHost,
  layout: Layout,
  owner: LockOwner,
  request: LockRequest,
): () => void {
  const { owner: ownerFile, heartbeat } = paths(layout);
  const script = `[ "$(cat -- ${sh(ownerFile)} 2> /dev/null)" = ${sh(JSON.stringify(owner))} ] || exit 10; touch -- ${sh(heartbeat)}`;
  const every = heartbeatEvery(request.staleMs);
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    remote
      .exec(script, { timeoutMs: Math.max(5_000, every) })
      .then(
        (result) => {
          if (result.code !== 10 || stopped) return;
          stop();
          request.onLost?.(`${layout.lock} was taken over by another deploy`);
        },
        // A connection that failed fails the deploy's own next step too; that one reports.
        () => undefined,
      )
      .finally(() => (busy = false));
  }, every);
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}

export async function acquireLock(
  remote: RemoteHost,
  layout: Layout,
  request: LockRequest,
): Promise<HeldLock> {
  const owner: LockOwner = {
    token: randomBytes(8).toString('hex'),
    by: request.by,
    pid: request.pid,
    release: request.release,
    started_at: new Date().toISOString(),
  };
  let tookOver: string | undefined;
  // Two rounds: the second follows taking over a dead deploy's lock (or one that vanished meanwhile).
  for (let round = 0; round < 2; round++) {
    if (await tryCreate(remote, layout, owner)) {
      const stop = keepAlive(remote, layout, owner, request);
      const release = async () => {
        stop();
        // Remove it only while it is still ours: a takeover may have replaced it.
        const script = `[ "$(cat -- ${sh(paths(layout).owner)} 2>/dev/null)" = ${sh(JSON.stringify(owner))} ] && rm -rf -- ${sh(layout.lock)}`;
        // A connection lost meanwhile leaves the lock behind; its heartbeat stops,
        // it is taken over, and the error that lost the connection is the one to report.
        await remote.exec(script).catch(() => undefined);
      };
      return { owner, tookOver, release };
    }
    const held = await inspect(remote, layout);
    if (!held) continue;
    if (held.idleSeconds * 1000 < request.staleMs)
      throw new PipelineError(
        'deploy',
        `${remote.name}: another deploy holds ${layout.lock}: ${describeHolder(held)}`,
        {
          hint: `Wait for it to finish. A deploy that died stops its heartbeat, and its lock is taken over once the last heartbeat is ${duration(Math.round(request.staleMs / 1000))} old.`,
        },
      );
    // Rename first: of two deploys taking over the same dead lock, one rename wins.
    const parked = `${layout.lock}.stale.${randomBytes(4).toString('hex')}`;
    const moved = await remote.exec(sh('mv', '-T', '--', layout.lock, parked));
    if (moved.code === 0) {
      await remote.exec(sh('rm', '-rf', '--', parked));
      tookOver = describeHolder(held);
    }
  }
  throw new PipelineError('deploy', `${remote.name}: cannot take ${layout.lock}`, {
    hint: 'Another deploy took it at the same moment; try again.',
  });
}
