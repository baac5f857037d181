/**
 * `mlops deploy`: put the model (and the server that serves it) live on VMs
 * over SSH, through the library's one deploy entry point (runDeploy), which the
 * deploy-vm action calls too. Secrets come from files or environment variables,
 * read here only. SIGINT and SIGTERM stop the deploy through an AbortSignal: the
 * library rolls the host back and releases its lock, then this exits 130 or 143;
 * a second signal exits at once.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { constants, hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { HostKeyPinText } from '../../deploy/host-key.js';
import { runDeploy } from '../../deploy/run-deploy.js';
import {
  describeTarget,
  parseTargetSpec,
  type DeploySettingsInput,
  type SettingName,
} from '../../deploy/settings.js';
import { PipelineError } from '../../errors.js';
import { say } from '../common.js';

interface DeployOptions {
  host: string[];
  base: string;
  server: string;
  model: string;
  release?: string;
  keyFile?: string;
  keyEnv: string;
  hostKey: string[];
  knownHosts?: string;
  hostKeyEnv: string;
  serviceCommand?: string;
  readyPort: string;
  readyPath: string;
  readyUrl?: string;
  readyTimeout: string;
  keep: string;
  lockStale: string;
  commandTimeout: string;
  dryRun?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new PipelineError(
      'usage',
      `${path}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

async function privateKey(opts: DeployOptions): Promise<string> {
  if (opts.keyFile) return readSecretFile(opts.keyFile, 'SSH private key');
  const key = process.env[opts.keyEnv];
  if (key?.trim()) return key;
  throw new PipelineError('usage', `no SSH private key: ${opts.keyEnv} is not set`, {
    hint: `Set ${opts.keyEnv} to the private key (a CI secret), or give --key-file.`,
  });
}

async function hostKeyPins(opts: DeployOptions): Promise<HostKeyPinText[]> {
  const pins: HostKeyPinText[] = opts.hostKey.map((text, index) => ({
    text,
    source: `--host-key ${index + 1}`,
  }));
  if (opts.knownHosts)
    pins.push({
      text: await readSecretFile(opts.knownHosts, 'known_hosts file'),
      source: opts.knownHosts,
    });
  const fromEnv = process.env[opts.hostKeyEnv];
  if (!pins.length && fromEnv?.trim()) pins.push({ text: fromEnv, source: opts.hostKeyEnv });
  return pins;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new PipelineError('usage', `${flag} ${value}: expected a positive number`);
  return n;
}

/** The flag each setting comes from, for messages. */
const FLAGS: Record<string, string> = {
  base: '--base',
  service_command: '--service-command',
  'readiness.port': '--ready-port',
  'readiness.path': '--ready-path',
  'readiness.url': '--ready-url',
  'readiness.timeout_ms': '--ready-timeout',
  keep: '--keep',
  lock_stale_ms: '--lock-stale',
  command_timeout_ms: '--command-timeout',
  server: '--server',
};

function flagNamer(opts: DeployOptions): SettingName {
  return (path) =>
    path[0] === 'targets'
      ? `--host ${opts.host[Number(path[1])]}`
      : (FLAGS[path.join('.')] ?? `deploy setting ${path.join('.')}`);
}

function settingsFrom(opts: DeployOptions): DeploySettingsInput {
  return {
    targets: opts.host.map(parseTargetSpec),
    base: opts.base,
    service_command: opts.serviceCommand,
    readiness: {
      port: positive(opts.readyPort, '--ready-port'),
      path: opts.readyPath,
      url: opts.readyUrl,
      timeout_ms: Math.round(positive(opts.readyTimeout, '--ready-timeout') * 1000),
    },
    keep: positive(opts.keep, '--keep'),
    lock_stale_ms: Math.round(positive(opts.lockStale, '--lock-stale') * 60_000),
    command_timeout_ms: Math.round(positive(opts.commandTimeout, '--command-timeout') * 1000),
  };
}

/**
 * The first SIGINT or SIGTERM aborts the deploy, which then rolls back and
 * releases its lock; a second one exits at once, leaving the lock to go stale.
 */
function onSignals(names: NodeJS.Signals[]) {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const status = (name: NodeJS.Signals) => 128 + constants.signals[name];
  const handle = (name: NodeJS.Signals) => {
    if (received) {
      say('deploy', `${name} again: stopping now; the lock on the VM is taken over once stale`);
      process.exit(status(name));
    }
    received = name;
    say(
      'deploy',
      `${name}: stopping; rolling back what was switched and releasing the lock (${name} again to stop at once)`,
    );
    controller.abort(name);
  };
  for (const name of names) process.on(name, handle);
  return {
    signal: controller.signal,
    /** An interrupted deploy's error, printed as main prints errors, with the signal's exit status. */
    exitIfReceived(error: unknown): never {
      if (!received) throw error;
      if (error instanceof PipelineError) {
        process.stderr.write(`error: ${error.message}\n`);
        if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
      } else process.stderr.write(`error: ${String(error)}\n`);
      process.exit(status(received));
    },
    dispose() {
      for (const name of names) process.off(name, handle);
    },
  };
}

export function registerDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description(
      'upload a release (server + model) to VMs over SSH, switch it live, roll back if it is not ready',
    )
    .requiredOption(
      '--host <user@host[:port]>',
      'a VM to deploy to (repeatable; in order)',
      collect,
      [],
    )
    .requiredOption('--server <dir>', 'the server to release (started by the service command)')
    .option('-m, --model <dir>', 'the model bundle to release', 'artifacts/model')
    .option('--release <name>', 'release name on the VMs (default: the model version)')
    .option('--base <dir>', 'release root on the VMs', '/srv/mlops')
    .option('--key-file <file>', 'SSH private key file')
    .option('--key-env <name>', 'environment variable holding the SSH private key', 'MLOPS_SSH_KEY')
    .option(
      '--host-key <pin>',
      'pinned host key: SHA256:… fingerprint, public key or known_hosts line (repeatable)',
      collect,
      [],
    )
    .option('--known-hosts <file>', 'pinned host keys in known_hosts format')
    .option(
      '--host-key-env <name>',
      'environment variable with pins, used when no --host-key/--known-hosts is given',
      'MLOPS_SSH_HOST_KEY',
    )
    .option(
      '--service-command <cmd>',
      'run on the VM after current moves; must hand over without dropping requests (default: systemctl reload mlops-serve, or restart when the server changed)',
    )
    .option(
      '--ready-port <port>',
      'service port on the VM, probed through the SSH connection',
      '8080',
    )
    .option('--ready-path <path>', 'readiness route', '/readyz')
    .option('--ready-url <url>', 'probe this URL directly instead of through SSH')
    .option(
      '--ready-timeout <seconds>',
      'how long the service command and the readiness check may take together; the command is stopped on the VM when it passes',
      '60',
    )
    .addOption(
      new Option('--keep <n>', 'releases kept on each VM, the live one included').default('5'),
    )
    .option(
      '--lock-stale <minutes>',
      "take over a deploy lock whose holder's heartbeat is older than this",
      '2',
    )
    .option(
      '--command-timeout <seconds>',
      'deadline of every other command run on the VM (lock, switch, link, prune)',
      '120',
    )
    .option(
      '--dry-run',
      'check the settings, the host key pins, the private key and both folders (the model whole), then stop before connecting',
    )
    .option('-q, --quiet', 'print only the result')
    .action(async (opts: DeployOptions) => {
      const settings = settingsFrom(opts);
      const hostKeys = await hostKeyPins(opts);
      const credentials = {
        privateKey: await privateKey(opts),
        passphrase: process.env.MLOPS_SSH_KEY_PASSPHRASE || undefined,
      };
      const interrupt = onSignals(['SIGINT', 'SIGTERM']);
      const outcome = await runDeploy({
        settings,
        settingName: flagNamer(opts),
        hostKeys,
        hostKeyHint: `Give --host-key (a SHA256 fingerprint from \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the VM, or a known_hosts line), --known-hosts FILE, or set ${opts.hostKeyEnv}.`,
        credentials,
        server: resolve(opts.server),
        model: resolve(opts.model),
        release: opts.release,
        dryRun: opts.dryRun,
        by: `${userInfo().username}@${hostname()}`,
        pid: process.pid,
        events: opts.quiet
          ? {}
          : {
              planned: ({ release }) =>
                say(
                  'deploy',
                  `release ${release.version}: ${release.files.length} files, model ${release.modelVersion}`,
                ),
              step: (host, text) => say('deploy', `${host}: ${text}`),
            },
        signal: interrupt.signal,
      })
        .catch((error: unknown) => interrupt.exitIfReceived(error))
        .finally(() => interrupt.dispose());
      if (!outcome.deployed) {
        const hosts = outcome.plan.settings.targets.map(describeTarget).join(', ');
        say(
          'deploy',
          `dry run: release ${outcome.plan.release.version} checked for ${hosts}; nothing was contacted`,
        );
        return;
      }
      const { result } = outcome;
      say(
        'deploy',
        `release ${result.release} is live on ${result.hosts.map((h) => h.host).join(', ')}`,
      );
    });
}
