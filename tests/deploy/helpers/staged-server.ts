/**
 * The project staged as the server part of a release, the way users stage it
 * (deploy/stage-server.sh: the package with its production dependencies). Staging
 * runs `npm ci`, so it is done once per change of what it stages and shared by
 * the test files (under .mlops/, git-ignored), one stager at a time.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import lockfile from 'proper-lockfile';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const cache = join(root, '.mlops', 'staged-server');

/** What stage-server.sh copies, hashed: a change to any of it stages again. */
async function sourceKey(): Promise<string> {
  const hash = createHash('sha256');
  const files = ['package.json', 'package-lock.json', 'deploy/stage-server.sh'];
  for (const dir of ['bin', 'pipeline'])
    for (const entry of await readdir(join(root, dir), { recursive: true, withFileTypes: true }))
      if (entry.isFile()) files.push(join(entry.parentPath, entry.name).slice(root.length + 1));
  for (const file of files.sort())
    hash.update(`${file}\0`).update(await readFile(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

export async function stagedServer(): Promise<string> {
  const key = await sourceKey();
  const dest = join(cache, key);
  if (await exists(dest)) return dest;
  await mkdir(cache, { recursive: true });
  const release = await lockfile.lock(cache, {
    retries: { retries: 300, minTimeout: 200, maxTimeout: 1_000 },
  });
  try {
    if (!(await exists(dest))) {
      // Stagings of older sources are of no further use.
      for (const old of await readdir(cache))
        await rm(join(cache, old), { recursive: true, force: true });
      await run('bash', [join(root, 'deploy/stage-server.sh'), dest], { cwd: root });
    }
  } finally {
    await release();
  }
  return dest;
}
