/**
 * Shared by the serving tests: a model folder behind a symlink, as a deploy lays
 * it out, a valid row, and clients that stall.
 */
import { rename, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { connect, createServer, type Socket } from 'node:net';

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

export interface Raw {
  socket: Socket;
  /** Resolves with the ms from connecting to the server closing the connection. */
  closed: Promise<number>;
  received(): string;
}

/** A connection that sends `data` and then nothing more. */
export function stall(url: string, data: string): Promise<Raw> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(data);
      resolve({ socket, closed, received: () => text });
    });
    const closed = new Promise<number>((done) =>
      socket.once('close', () => done(Date.now() - started)),
    );
    socket.on('data', (d: Buffer) => (text += d.toString()));
    // A reset after connecting (a refused connection past the cap) only closes it.
    socket.on('error', reject);
  });
}

/** A predict request whose headers are complete and whose body stops after a few bytes. */
export const partialBody = (headers: Record<string, string> = {}) =>
  [
    'POST /v1/predict HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    'Content-Length: 500',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '{"Island": "Bis',
  ].join('\r\n');
