/**
 * Host key pinning. A pin is a SHA256 fingerprint as `ssh-keygen -lf` prints it
 * (`SHA256:base64`, trusted for every host of the deploy) or known_hosts text
 * (trusted for the hosts its patterns name). A host with no pin, or whose key
 * matches none, is refused during the key exchange, before anything is sent.
 */
import sshpk from 'sshpk';
import { PipelineError } from '../errors.js';
import { entryMatches, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';

export interface HostKeyPins {
  fingerprints: string[];
  knownHosts: KnownHostEntry[];
}

/** Parse pins up front, so a typo fails before any host is contacted. */
export function parseHostKeyPins(pins: readonly string[]): HostKeyPins {
  const parsed: HostKeyPins = { fingerprints: [], knownHosts: [] };
  pins.forEach((pin, index) => {
    const text = pin.trim();
    if (/^SHA256:/i.test(text)) {
      try {
        const parsedPin = sshpk.parseFingerprint(text);
        if (parsedPin.algorithm !== 'sha256') throw new Error(parsedPin.algorithm);
      } catch (error) {
        throw new PipelineError('deploy', `host key pin ${index + 1}: not a SHA256 fingerprint`, {
          hint: 'Copy it from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the VM.',
          cause: error,
        });
      }
      // ssh-keygen prints unpadded base64; compare in that form.
      parsed.fingerprints.push(`SHA256:${text.slice(7).replace(/=+$/, '')}`);
    } else {
      parsed.knownHosts.push(...parseKnownHosts(text, `host key pin ${index + 1}`));
    }
  });
  return parsed;
}

export function fingerprintOf(key: Buffer): { fingerprint: string; type: string } {
  const parsed = sshpk.parseKey(key, 'rfc4253');
  return { fingerprint: parsed.fingerprint('sha256').toString(), type: parsed.type };
}

export type HostKeyVerdict =
  | { accepted: true; fingerprint: string }
  | { accepted: false; fingerprint: string; reason: 'unpinned' | 'mismatch' | 'revoked' };

/** Decide on the key a host presented. */
export function verifyHostKey(
  pins: HostKeyPins,
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const { fingerprint } = fingerprintOf(key);
  const entries = pins.knownHosts.filter((e) => entryMatches(e, host, port));
  if (entries.some((e) => e.revoked && e.key.equals(key)))
    return { accepted: false, fingerprint, reason: 'revoked' };
  const trusted = entries.filter((e) => !e.revoked);
  if (trusted.some((e) => e.key.equals(key)) || pins.fingerprints.includes(fingerprint))
    return { accepted: true, fingerprint };
  const pinned = trusted.length > 0 || pins.fingerprints.length > 0;
  return { accepted: false, fingerprint, reason: pinned ? 'mismatch' : 'unpinned' };
}
