/**
 * A real Alertmanager (Debian's package; scripts/services/alertmanager.sh
 * installs it) on a free port of 127.0.0.1, with the given config, no cluster,
 * ready to receive Prometheus's alerts.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../serve/fixtures.js';
import { alertmanagerBinaries } from './peers.js';

export interface RunningAlertmanager {
  url: string;
  /** host:port, as Prometheus's alerting config names it. */
  address: string;
  /** What it printed so far: for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(
  configFile: string,
  dataDir: string,
  seconds = 30,
): Promise<RunningAlertmanager> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  let log = '';
  const child = spawn(
    alertmanagerBinaries().alertmanager,
    [
      `--config.file=${configFile}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=${address}`,
      // One instance: no gossip port, and ready without waiting for peers to settle.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.on('error', (e) => (log += `cannot start alertmanager: ${e.message}\n`));
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
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`alertmanager not ready within ${seconds} s\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, address, log: () => log, stop };
}
