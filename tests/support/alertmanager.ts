/**
 * A real Alertmanager (Debian's package; scripts/services/alertmanager.sh
 * installs it) on a free port of 127.0.0.1, with the given config, no cluster,
 * ready to receive Prometheus's alerts.
 */
import { freePort } from '../serve/fixtures.js';
import { alertmanagerBinaries } from './peers.js';
import { startReadyDaemon } from './ready-daemon.js';

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
  const daemon = await startReadyDaemon(
    'alertmanager',
    alertmanagerBinaries().alertmanager,
    [
      `--config.file=${configFile}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=${address}`,
      // One instance: no gossip port, and ready without waiting for peers to settle.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    url,
    seconds,
  );
  return { url, address, ...daemon };
}
