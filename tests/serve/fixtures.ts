/** Shared by the serving tests: a model folder behind a symlink, as a deploy lays it out. */
import { rename, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';

/** Point `link` at `target` atomically (a new symlink renamed over the old one). */
export async function switchLink(link: string, target: string): Promise<void> {
  const tmp = join(dirname(link), `.next-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await symlink(target, tmp);
  await rename(tmp, link);
}

export const PENGUIN = {
  Island: 'Biscoe',
  'Beak Length (mm)': 45.2,
  'Beak Depth (mm)': 14.8,
  'Flipper Length (mm)': 212,
  'Body Mass (g)': 5200,
  Sex: 'FEMALE',
};

/** A port nothing listens on right now, for a process that cannot be told to use 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
