/**
 * A lock on the VM that serialises deploys: `mkdir` is atomic, so of two deploys
 * only one creates `<base>/.deploy.lock`. The owner file says who holds it; a lock
 * older than the stale limit (by the VM's own clock) is taken over, so a deploy
 * that died does not block the next one forever.
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
  /** True when a stale lock was taken over to get this one. */
  tookOverStale: boolean;
  release(): Promise<void>;
}

async function tryCreate(remote: RemoteHost, layout: Layout, owner: LockOwner): Promise<boolean> {
  // One round trip: mkdir is the lock, the owner file says whose it is.
  const script = [
    sh('mkdir', '-p', '--', layout.releases),
    `{ ${sh('mkdir', '--', layout.lock)} 2> /dev/null || exit 10; }`,
    `${sh('printf', '%s\n', JSON.stringify(owner))} > ${sh(`${layout.lock}/owner`)}`,
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

/** Age in seconds and owner of the lock held now, or undefined when it is gone. */
async function inspect(remote: RemoteHost, lock: string) {
  const script = `age=$(( $(date +%s) - $(stat -c %Y -- ${sh(lock)}) )) || exit 3; echo "$age"; cat -- ${sh(`${lock}/owner`)} 2>/dev/null; true`;
  const result = await remote.exec(script);
  if (result.code !== 0) return undefined;
  const [age, ...rest] = result.stdout.split('\n');
  let owner: LockOwner | undefined;
  try {
    owner = LockOwnerSchema.parse(JSON.parse(rest.join('\n')));
  } catch {
    owner = undefined;
  }
  return { ageSeconds: Number(age), owner };
}

function describeOwner(owner: LockOwner | undefined): string {
  return owner
    ? `release ${owner.release} by ${owner.by} (pid ${owner.pid}) since ${owner.started_at}`
    : 'an owner that left no owner file';
}

export async function acquireLock(
  remote: RemoteHost,
  layout: Layout,
  request: { by: string; pid: number; release: string; staleMs: number },
): Promise<HeldLock> {
  const owner: LockOwner = {
    token: randomBytes(8).toString('hex'),
    by: request.by,
    pid: request.pid,
    release: request.release,
    started_at: new Date().toISOString(),
  };
  let tookOverStale = false;
  // Two rounds: the second follows taking over a stale lock (or one that vanished meanwhile).
  for (let round = 0; round < 2; round++) {
    if (await tryCreate(remote, layout, owner)) {
      const release = async () => {
        // Remove it only while it is still ours: a takeover may have replaced it.
        const script = `[ "$(cat -- ${sh(`${layout.lock}/owner`)} 2>/dev/null)" = ${sh(JSON.stringify(owner))} ] && rm -rf -- ${sh(layout.lock)}`;
        // A connection lost meanwhile leaves the lock behind; it goes stale and is
        // taken over, and the error that lost the connection is the one to report.
        await remote.exec(script).catch(() => undefined);
      };
      return { owner, tookOverStale, release };
    }
    const held = await inspect(remote, layout.lock);
    if (!held) continue;
    if (held.ageSeconds * 1000 < request.staleMs)
      throw new PipelineError(
        'deploy',
        `${remote.name}: another deploy holds ${layout.lock}: ${describeOwner(held.owner)}`,
        {
          hint: `Wait for it to finish. If it died, the lock is taken over once it is ${Math.round(request.staleMs / 60_000)} min old, or remove ${layout.lock} on the VM.`,
        },
      );
    // Rename first: of two deploys taking over the same stale lock, one rename wins.
    const parked = `${layout.lock}.stale.${randomBytes(4).toString('hex')}`;
    const moved = await remote.exec(sh('mv', '-T', '--', layout.lock, parked));
    if (moved.code === 0) {
      await remote.exec(sh('rm', '-rf', '--', parked));
      tookOverStale = true;
    }
  }
  throw new PipelineError('deploy', `${remote.name}: cannot take ${layout.lock}`, {
    hint: 'Another deploy took it at the same moment; try again.',
  });
}
