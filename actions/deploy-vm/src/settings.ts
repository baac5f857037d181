import { isIP } from 'node:net';
import { remotePath } from '../../../pipeline/deploy/settings.js';
import { PipelineError } from '../../../pipeline/errors.js';
import { flag, integer, required, secret, text } from '../../shared/src/inputs.js';
import { parseHostKey, type HostKey } from './host-key.js';

export interface DeploySettings {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKey: HostKey;
  modelDir: string;
  /** The server part of the release (a folder staged by deploy/stage-server.sh). */
  serverDir: string | undefined;
  base: string;
  serviceCommand: string | undefined;
  readyPort: number;
  readyTimeoutSeconds: number;
  keep: number;
  dryRun: boolean;
}

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export function readSettings(): DeploySettings {
  // Masked first: every later message may quote inputs, never this one.
  const privateKey = secret('ssh-private-key', { required: true });
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey))
    throw new PipelineError(
      'usage',
      'input "ssh-private-key": expected a private key (-----BEGIN OPENSSH PRIVATE KEY----- …)',
    );
  const host = required('host').trim();
  if (!isIP(host) && !HOSTNAME.test(host))
    throw new PipelineError('usage', `input "host": "${host}" is not a host name or IP address`);
  const user = text('user', 'deploy').trim();
  if (!USER.test(user))
    throw new PipelineError('usage', `input "user": "${user}" is not a valid user name`);
  // Checked here, not first by the deploy, so a dry run catches it too.
  const base = text('base', '/srv/mlops').trim();
  const checked = remotePath.safeParse(base);
  if (!checked.success)
    throw new PipelineError(
      'usage',
      `input "base": "${base}": ${checked.error.issues[0]!.message}`,
    );
  return {
    host,
    port: integer('port', 22, { min: 1, max: 65_535 })!,
    user,
    privateKey,
    hostKey: parseHostKey(required('host-key')),
    modelDir: text('model', 'artifacts/model'),
    serverDir: text('server', '') || undefined,
    base,
    serviceCommand: text('service-command', '') || undefined,
    readyPort: integer('ready-port', 8080, { min: 1, max: 65_535 })!,
    readyTimeoutSeconds: integer('ready-timeout', 60, { min: 1, max: 3_600 })!,
    keep: integer('keep', 5, { min: 2, max: 100 })!,
    dryRun: flag('dry-run', false),
  };
}
