/**
 * A real Prometheus (Debian's package; scripts/services/prometheus.sh installs
 * it) on a free port of 127.0.0.1, with the given config, ready to be queried.
 */
import { freePort } from '../serve/fixtures.js';
import { startReadyDaemon } from './ready-daemon.js';

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
  const daemon = await startReadyDaemon(
    'prometheus',
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    url,
    seconds,
    ' (run scripts/services/prometheus.sh)',
  );
  return { url, ...daemon };
}
