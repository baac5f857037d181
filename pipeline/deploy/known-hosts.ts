/**
 * The known_hosts format of OpenSSH (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * host patterns with wildcards and negations, hashed names, @revoked markers.
 * Written here because no maintained package parses it; key parsing is sshpk's.
 * A line without host patterns, a public key as the VM's
 * /etc/ssh/ssh_host_ed25519_key.pub holds it, stands for every host.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import sshpk from 'sshpk';
import { PipelineError } from '../errors.js';
import { clip } from '../util/text.js';

export interface KnownHostEntry {
  patterns: string[];
  revoked: boolean;
  /** The key type as written (ssh-ed25519, ecdsa-sha2-nistp256 …). */
  type: string;
  /** The public key blob as the server sends it (RFC 4253). */
  key: Buffer;
  fingerprint: string;
}

/** The host key algorithms OpenSSH offers; DSA keys are gone from it, and user-only types never name a host. */
const HOST_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'rsa-sha2-256',
  'rsa-sha2-512',
];

const EVERY_HOST = ['*'];

/** `host` on port 22, `[host]:port` otherwise: the name OpenSSH looks up. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function parseKey(type: string, blob: string, where: string): sshpk.Key {
  // An RSA key's blob names ssh-rsa whatever signature algorithm the line names.
  const blobType = type.startsWith('rsa-sha2-') ? 'ssh-rsa' : type;
  try {
    return sshpk.parseKey(`${blobType} ${blob}`, 'ssh');
  } catch (error) {
    throw new PipelineError('deploy', `${where}: the ${type} key data is not a valid key`, {
      hint: 'Copy the whole key: a pasted key cut short fails here.',
      cause: error,
    });
  }
}

/**
 * One line: `[@marker] host-patterns key-type base64-key [comment]`, or a
 * public key with no host patterns (trusted for every host); undefined for a
 * blank line or a comment.
 */
export function parseKnownHostsLine(raw: string, where: string): KnownHostEntry | undefined {
  const line = raw.trim();
  if (!line || line.startsWith('#')) return undefined;
  const fields = line.split(/\s+/);
  let marker: string | undefined;
  if (fields[0]!.startsWith('@')) marker = fields.shift();
  if (marker === '@cert-authority')
    throw new PipelineError('deploy', `${where}: @cert-authority entries are not supported`, {
      hint: 'Pin the host key itself (ssh-keyscan -t ed25519 HOST) or its SHA256 fingerprint.',
    });
  if (marker !== undefined && marker !== '@revoked')
    throw new PipelineError('deploy', `${where}: unknown marker ${marker}`);
  const bare = HOST_KEY_TYPES.includes(fields[0] ?? '');
  const [hosts, type, blob] = bare ? [undefined, ...fields] : fields;
  if (!type || !blob || !HOST_KEY_TYPES.includes(type))
    throw new PipelineError(
      'deploy',
      `${where}: expected an SSH public host key such as "ssh-ed25519 AAAA…", alone or after host patterns as in known_hosts; got ${JSON.stringify(clip(line, 40))}`,
      { hint: 'Take it from the VM: ssh-keyscan -t ed25519 HOST' },
    );
  const key = parseKey(type, blob, where);
  return {
    patterns: hosts ? hosts.split(',') : EVERY_HOST,
    revoked: marker === '@revoked',
    type,
    key: key.toBuffer('rfc4253'),
    fingerprint: key.fingerprint('sha256').toString(),
  };
}

/** The same keys, trusted (or revoked) for every host whatever their lines' host patterns say. */
export function forEveryHost(entries: readonly KnownHostEntry[]): KnownHostEntry[] {
  return entries.map((entry) => ({ ...entry, patterns: EVERY_HOST }));
}

/** OpenSSH's glob: `*` any run of characters, `?` exactly one. */
function globMatch(pattern: string, name: string): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(/\*/g, '.*').replace(/\?/g, '.');
  // Every metacharacter but the glob's own is escaped above; the pattern is the user's known_hosts line.
  // eslint-disable-next-line security/detect-non-literal-regexp
  return new RegExp(`^${source}$`, 'i').test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether an entry's host patterns name this host (a negated match vetoes the line). */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('|')) {
      if (hashedMatch(pattern, name)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) matched = true;
  }
  return matched;
}
