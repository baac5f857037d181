/**
 * Host key pinning. A pin is a SHA256 fingerprint as `ssh-keygen -lf` prints it
 * (`SHA256:base64`) or a public key as the VM's ssh_host_*_key.pub holds it, both
 * trusted for every host of the deploy, or known_hosts lines (trusted for the
 * hosts their patterns name). A pin may hold several lines of any of these. A host
 * with no pin, or whose key matches none, is refused during the key exchange,
 * before anything is sent.
 */
import sshpk from 'sshpk';
import { PipelineError } from '../errors.js';
import {
  entryMatches,
  forEveryHost,
  parseKnownHostsLine,
  type KnownHostEntry,
} from './known-hosts.js';

export interface HostKeyPins {
  fingerprints: string[];
  knownHosts: KnownHostEntry[];
}

/** A pin's text, with what to call it in messages (`host key pin N` when not given). */
export type HostKeyPinText = string | { text: string; source: string };

export interface PinOptions {
  /**
   * Trust every key for every host, ignoring the host patterns of known_hosts
   * lines: for a deploy to one host whose key is given as a line of
   * `ssh-keyscan` output, whichever name or address that was run against.
   */
  everyHost?: boolean;
}

function parseFingerprint(text: string, where: string): string {
  try {
    const parsedPin = sshpk.parseFingerprint(text);
    if (parsedPin.algorithm !== 'sha256') throw new Error(parsedPin.algorithm);
  } catch (error) {
    throw new PipelineError('deploy', `${where}: not a SHA256 fingerprint`, {
      hint: 'Copy it from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the VM.',
      cause: error,
    });
  }
  // ssh-keygen prints unpadded base64; compare in that form.
  return `SHA256:${text.slice(7).replace(/=+$/, '')}`;
}

/** Parse pins up front, so a typo fails before any host is contacted. */
export function parseHostKeyPins(
  pins: readonly HostKeyPinText[],
  options: PinOptions = {},
): HostKeyPins {
  const parsed: HostKeyPins = { fingerprints: [], knownHosts: [] };
  pins.forEach((pin, index) => {
    const { text, source } =
      typeof pin === 'string' ? { text: pin, source: `host key pin ${index + 1}` } : pin;
    const lines = text.trim().split(/\r?\n/);
    lines.forEach((raw, at) => {
      const line = raw.trim();
      const where =
        lines.length === 1 && /^SHA256:/i.test(line) ? source : `${source} line ${at + 1}`;
      if (/^SHA256:/i.test(line)) parsed.fingerprints.push(parseFingerprint(line, where));
      else {
        const entry = parseKnownHostsLine(line, where);
        if (entry) parsed.knownHosts.push(entry);
      }
    });
  });
  if (options.everyHost) parsed.knownHosts = forEveryHost(parsed.knownHosts);
  return parsed;
}

/** The pinned keys for a log line: `ssh-ed25519 SHA256:…` each, fingerprint pins as they are. */
export function describePins(pins: HostKeyPins): string {
  const keys = pins.knownHosts.map(
    (e) => `${e.revoked ? 'revoked ' : ''}${e.type} ${e.fingerprint}`,
  );
  return [...new Set([...keys, ...pins.fingerprints])].join(', ');
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
