/**
 * A daemon of the Prometheus family started for a test: its output kept for
 * failure messages, ready once `<url>/-/ready` answers 200, stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';

export interface ReadyDaemon {
  /** What it printed so far, and why it could not start: for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startReadyDaemon(
  name: string,
  command: string,
  args: string[],
  url: string,
  seconds: number,
  startHint = '',
): Promise<ReadyDaemon> {
  let log = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', (e) => (log += `cannot start ${name}: ${e.message}${startHint}\n`));
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
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`${name} not ready within ${seconds} s\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { log: () => log, stop };
}
