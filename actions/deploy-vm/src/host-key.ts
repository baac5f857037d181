/**
 * The VM's SSH host key, pinned in the workflow: the connection is refused
 * unless the server proves it holds this key, so no first-use trust and no
 * known_hosts left on the runner. Given as an OpenSSH public key line, with or
 * without a leading host pattern (a line of `ssh-keyscan` output works).
 */
import { createHash } from 'node:crypto';
import { PipelineError } from '../../../pipeline/errors.js';

const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export interface HostKey {
  type: string;
  /** The key blob, base64 as in known_hosts. */
  key: string;
  /** SHA256:… as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export function parseHostKey(text: string, input = 'host-key'): HostKey {
  const fields = text.trim().split(/\s+/);
  const at = fields.findIndex((f) => KEY_TYPES.includes(f));
  const type = fields[at];
  const key = fields[at + 1];
  if (at < 0 || at > 1 || !type || !key)
    throw new PipelineError(
      'usage',
      `input "${input}": expected an SSH public host key such as "ssh-ed25519 AAAA…", got ${JSON.stringify(text.trim().slice(0, 40))}`,
      { hint: 'Take it from the VM: ssh-keyscan -t ed25519 HOST' },
    );
  const blob = Buffer.from(key, 'base64');
  // The blob starts with its own type as an SSH string: a pasted key cut short fails here.
  const nameLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const blobType = nameLength > 0 ? blob.subarray(4, 4 + nameLength).toString('latin1') : '';
  const expected = type.startsWith('rsa-sha2-') ? 'ssh-rsa' : type;
  const canonical = (b64: string) => b64.replace(/=+$/, '');
  if (blobType !== expected || canonical(blob.toString('base64')) !== canonical(key))
    throw new PipelineError('usage', `input "${input}": the ${type} key data is not a valid key`);
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { type, key, fingerprint };
}
