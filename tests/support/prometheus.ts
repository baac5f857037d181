/**
 * A real Prometheus (Debian's package; scripts/services/prometheus.sh installs
 * it) on a free port of 127.0.0.1, with the given config, ready to be queried.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../serve/fixtures.js';

export interface RunningPrometheus {
  url: string;
  /** What it printed so far, and why it could not start: for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(
  configFile: string,
  dataDir: string,
  seconds = 30,
): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.on(
    'error',
    (e) => (log += `cannot start prometheus: ${e.message} (run scripts/services/prometheus.sh)\n`),
  );
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (
      await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${seconds} s\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, log: () => log, stop };
}
