/**
 * The known_hosts format of OpenSSH (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * host patterns with wildcards and negations, hashed names, @revoked markers.
 * Written here because no maintained package parses it; key parsing is sshpk's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import sshpk from 'sshpk';
import { PipelineError } from '../errors.js';

export interface KnownHostEntry {
  patterns: string[];
  revoked: boolean;
  /** The public key blob as the server sends it (RFC 4253). */
  key: Buffer;
  fingerprint: string;
}

/** `host` on port 22, `[host]:port` otherwise: the name OpenSSH looks up. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string, source: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]!.startsWith('@')) marker = fields.shift();
    const [hosts, type, blob] = fields;
    const where = `${source} line ${index + 1}`;
    if (marker === '@cert-authority')
      throw new PipelineError('deploy', `${where}: @cert-authority entries are not supported`, {
        hint: 'Pin the host key itself (ssh-keyscan -t ed25519 HOST) or its SHA256 fingerprint.',
      });
    if (marker !== undefined && marker !== '@revoked')
      throw new PipelineError('deploy', `${where}: unknown marker ${marker}`);
    if (!hosts || !type || !blob)
      throw new PipelineError('deploy', `${where}: expected "host-patterns key-type base64-key"`, {
        hint: 'A known_hosts line looks like the output of `ssh-keyscan -t ed25519 HOST`.',
      });
    let key: sshpk.Key;
    try {
      key = sshpk.parseKey(`${type} ${blob}`, 'ssh');
    } catch (error) {
      throw new PipelineError('deploy', `${where}: not a valid ${type} key`, { cause: error });
    }
    entries.push({
      patterns: hosts.split(','),
      revoked: marker === '@revoked',
      key: key.toBuffer('rfc4253'),
      fingerprint: key.fingerprint('sha256').toString(),
    });
  });
  return entries;
}

/** OpenSSH's glob: `*` any run of characters, `?` exactly one. */
function globMatch(pattern: string, name: string): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(/\*/g, '.*').replace(/\?/g, '.');
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
