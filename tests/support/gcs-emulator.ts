/**
 * fake-gcs-server (tests/support/peers.ts) on 127.0.0.1 at a free port, objects
 * in memory, for the tests that run the real @google-cloud/storage client and
 * dvc-gs against GCS's JSON API. One emulator per caller; `close` stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { fakeGcsServerBinary } from './peers.js';

export interface GcsEmulator {
  /** `http://127.0.0.1:PORT`, for apiEndpoint, STORAGE_EMULATOR_HOST or dvc's endpointurl. */
  endpoint: string;
  /** A client on the emulator, for a test to look at or damage objects directly. */
  storage: Storage;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Start the emulator with `buckets` created, and wait until it answers. */
export async function startGcsEmulator(buckets: readonly string[]): Promise<GcsEmulator> {
  const binary = fakeGcsServerBinary();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      ...['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port)],
      ...['-public-host', `127.0.0.1:${port}`, '-backend', 'memory', '-log-level', 'error'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fake-gcs-server exited: ${stderr}`);
    try {
      if ((await fetch(`${endpoint}/storage/v1/b`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`fake-gcs-server did not answer on ${endpoint} within 15 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const storage = new Storage({ apiEndpoint: endpoint, projectId: 'test' });
  for (const name of buckets) await storage.createBucket(name);
  return { endpoint, storage, close: () => stop(child) };
}
