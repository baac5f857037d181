/**
 * The real peers the interop tests talk to, installed by the test setup
 * (scripts/services/dvc.sh, fake-gcs-server.sh, schemathesis.sh, zizmor.sh) at
 * one place outside the work tree, or as a Debian package (alertmanager.sh). A missing peer fails the test that needs it, with the
 * command that installs it: `npm test` runs that command itself, so a skip
 * would only hide a broken setup.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const root = process.env['MLOPS_PEERS_DIR'] ?? join(homedir(), '.cache', 'mlops-test');

function peer(path: string, script: string): string {
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: install it with \`bash ${resolve(repo, script)}\` (npm test runs it)`,
    );
  return path;
}

/** The `dvc` executable of the pinned DVC (with dvc-gs) virtual environment. */
export function dvcBinary(): string {
  return peer(join(root, 'dvc', 'bin', 'dvc'), 'scripts/services/dvc.sh');
}

/** The Python of the pinned DVC environment, to call dvc-data's own functions. */
export function dvcPython(): string {
  return peer(join(root, 'dvc', 'bin', 'python'), 'scripts/services/dvc.sh');
}

/** The pinned fake-gcs-server executable. */
export function fakeGcsServerBinary(): string {
  return peer(
    join(root, 'fake-gcs-server', 'bin', 'fake-gcs-server'),
    'scripts/services/fake-gcs-server.sh',
  );
}

/** The `schemathesis` executable of its pinned virtual environment. */
export function schemathesisBinary(): string {
  return peer(
    join(root, 'schemathesis', 'bin', 'schemathesis'),
    'scripts/services/schemathesis.sh',
  );
}

/** The `zizmor` executable of its pinned virtual environment. */
export function zizmorBinary(): string {
  return peer(join(root, 'zizmor', 'bin', 'zizmor'), 'scripts/services/zizmor.sh');
}

/** Alertmanager and its amtool, from Debian's package prometheus-alertmanager. */
export function alertmanagerBinaries(): { alertmanager: string; amtool: string } {
  const script = 'scripts/services/alertmanager.sh';
  return {
    alertmanager: peer('/usr/bin/prometheus-alertmanager', script),
    amtool: peer('/usr/bin/amtool', script),
  };
}
