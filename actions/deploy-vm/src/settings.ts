/**
 * deploy-vm's inputs as one request for the library's deploy entry point
 * (pipeline/deploy/run-deploy.ts), which checks them by the same rules as
 * `mlops deploy`: the settings by their one schema, the host key by the one pin
 * parser. Only what is particular to inputs is done here: turning text into
 * numbers and flags, masking the private key, naming inputs in messages.
 */
import type { DeployRunRequest } from '../../../pipeline/deploy/run-deploy.js';
import type { SettingName } from '../../../pipeline/deploy/settings.js';
import { PipelineError } from '../../../pipeline/errors.js';
import { flag, integer, required, secret, text } from '../../shared/src/inputs.js';

export type DeployInputs = Omit<DeployRunRequest, 'by' | 'pid' | 'events' | 'signal' | 'approve'>;

/** What happens around the deploy: the review it must match, the production record it writes. */
export interface ReleaseInputs {
  githubToken: string;
  requireReview: boolean;
  recordProduction: boolean;
  metrics: string;
  bench: string;
}

export function readReleaseInputs(): ReleaseInputs {
  // Masked first: nothing below may print it.
  const githubToken = secret('github-token');
  const release = {
    githubToken,
    requireReview: flag('require-review', true),
    recordProduction: flag('record-production', true),
    metrics: text('metrics', 'reports/metrics.json'),
    bench: text('bench', 'reports/bench.json'),
  };
  if (!githubToken && (release.requireReview || release.recordProduction))
    throw new PipelineError('usage', 'input "github-token" is empty', {
      hint: 'Give the job a token (github-token: ${{ github.token }}), or set require-review and record-production to false.',
    });
  return release;
}

/** The outside check after the switch: `<smoke-url>/readyz`, probed from the runner instead of through SSH. */
function smokeUrl(): string | undefined {
  const url = text('smoke-url', '').trim();
  if (!url) return undefined;
  try {
    return new URL('readyz', url.endsWith('/') ? url : `${url}/`).href;
  } catch {
    throw new PipelineError('usage', `input "smoke-url": expected a URL, got "${url}"`);
  }
}

/** The input each setting comes from, for messages. */
const INPUTS: Record<string, string> = {
  'targets.0.host': 'host',
  'targets.0.port': 'port',
  'targets.0.user': 'user',
  base: 'base',
  service_command: 'service-command',
  'readiness.port': 'ready-port',
  'readiness.timeout_ms': 'ready-timeout',
  keep: 'keep',
  server: 'server',
  'readiness.url': 'smoke-url',
};

const inputName: SettingName = (path) => `input "${INPUTS[path.join('.')] ?? path.join('.')}"`;

export function readInputs(): DeployInputs {
  // Masked first: every later message may quote inputs, never this one.
  const privateKey = secret('ssh-private-key', { required: true });
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey))
    throw new PipelineError(
      'usage',
      'input "ssh-private-key": expected a private key (-----BEGIN OPENSSH PRIVATE KEY----- …)',
    );
  const serviceCommand = text('service-command', '');
  const smoke = smokeUrl();
  return {
    settings: {
      targets: [
        {
          host: required('host').trim(),
          port: integer('port', 22, { min: 1, max: 65_535 })!,
          user: text('user', 'deploy').trim(),
        },
      ],
      base: text('base', '/srv/mlops').trim(),
      ...(serviceCommand ? { service_command: serviceCommand } : {}),
      readiness: {
        port: integer('ready-port', 8080, { min: 1, max: 65_535 })!,
        timeout_ms: integer('ready-timeout', 60, { min: 1, max: 3_600 })! * 1000,
        ...(smoke ? { url: smoke } : {}),
      },
      keep: integer('keep', 5, { min: 2, max: 100 })!,
    },
    settingName: inputName,
    // One host: its key is pinned for it whatever host a pasted ssh-keyscan line names.
    hostKeys: [{ text: required('host-key'), source: 'input "host-key"' }],
    hostKeysForEveryHost: true,
    hostKeyHint: "Give the VM's public host key: ssh-keyscan -t ed25519 HOST",
    credentials: { privateKey },
    model: text('model', 'artifacts/model'),
    server: text('server', '') || undefined,
    dryRun: flag('dry-run', false),
  };
}
