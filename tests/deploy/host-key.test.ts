/** Host key pins as users write them: known_hosts lines (plain, hashed, wildcard) and fingerprints. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePins, parseHostKeyPins, verifyHostKey } from '../../pipeline/deploy/host-key.js';
import { PipelineError } from '../../pipeline/errors.js';

const run = promisify(execFile);

let dir: string;
let good: { line: string; blob: Buffer; fingerprint: string };
let other: { line: string; blob: Buffer; fingerprint: string };

async function key(name: string) {
  const path = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  const [type, b64] = (await readFile(`${path}.pub`, 'utf8')).split(' ');
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return {
    line: `${type} ${b64}`,
    blob: Buffer.from(b64!, 'base64'),
    fingerprint: stdout.split(' ')[1]!,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-host-key-'));
  good = await key('good');
  other = await key('other');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('host key pins', () => {
  it('matches a known_hosts line by host and port, as OpenSSH names them', () => {
    const pins = parseHostKeyPins([`vm1.example.org,[10.0.0.5]:2222 ${good.line}`]);
    expect(verifyHostKey(pins, 'vm1.example.org', 22, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, '10.0.0.5', 2222, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, '10.0.0.5', 22, good.blob)).toMatchObject({ reason: 'unpinned' });
    expect(verifyHostKey(pins, 'vm1.example.org', 22, other.blob)).toMatchObject({
      accepted: false,
      reason: 'mismatch',
      fingerprint: other.fingerprint,
    });
  });

  it('reads the hashed names ssh-keygen -H writes', async () => {
    const file = join(dir, 'known_hosts');
    await run('sh', [
      '-c',
      `echo '[vm2.example.org]:2200 ${good.line}' > ${file} && ssh-keygen -H -f ${file}`,
    ]);
    const hashed = await readFile(file, 'utf8');
    expect(hashed.startsWith('|1|')).toBe(true);
    const pins = parseHostKeyPins([hashed]);
    expect(verifyHostKey(pins, 'vm2.example.org', 2200, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, 'vm3.example.org', 2200, good.blob).accepted).toBe(false);
  });

  it('honours wildcards, negations and @revoked', () => {
    const pins = parseHostKeyPins([
      `*.prod.example.org,!db.prod.example.org ${good.line}\n@revoked * ${other.line}\n# comment\n`,
    ]);
    expect(verifyHostKey(pins, 'api.prod.example.org', 22, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, 'db.prod.example.org', 22, good.blob).accepted).toBe(false);
    expect(verifyHostKey(pins, 'api.prod.example.org', 22, other.blob)).toMatchObject({
      reason: 'revoked',
    });
  });

  it('trusts a SHA256 fingerprint for every host, with or without base64 padding', () => {
    for (const pin of [good.fingerprint, `${good.fingerprint}=`]) {
      const pins = parseHostKeyPins([pin]);
      expect(verifyHostKey(pins, 'any.example.org', 22, good.blob).accepted).toBe(true);
      expect(verifyHostKey(pins, 'any.example.org', 22, other.blob).accepted).toBe(false);
    }
  });

  it("trusts a public key given without host patterns for every host, as the VM's .pub file holds it", () => {
    const pins = parseHostKeyPins([`${good.line} root@vm1`]);
    expect(verifyHostKey(pins, 'any.example.org', 2222, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, 'any.example.org', 22, other.blob)).toMatchObject({
      reason: 'mismatch',
    });
    expect(describePins(pins)).toBe(`ssh-ed25519 ${good.fingerprint}`);
  });

  it('reads one pin per line, fingerprints among them', () => {
    const pins = parseHostKeyPins([`${good.fingerprint}\n[10.0.0.5]:2222 ${other.line}\n`]);
    expect(verifyHostKey(pins, 'vm9', 22, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, '10.0.0.5', 2222, other.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, '10.0.0.6', 2222, other.blob).accepted).toBe(false);
  });

  it('can trust keyscan lines for every host, for a deploy to one host', () => {
    const pins = parseHostKeyPins(
      [`vm.example.org ${good.line}\n@revoked vm.example.org ${other.line}`],
      {
        everyHost: true,
      },
    );
    expect(verifyHostKey(pins, '10.0.0.5', 2222, good.blob).accepted).toBe(true);
    expect(verifyHostKey(pins, '10.0.0.5', 2222, other.blob)).toMatchObject({ reason: 'revoked' });
  });

  it('names a pin by the source it is given with, and refuses key types no host offers', () => {
    const source = 'input "host-key"';
    expect(() => parseHostKeyPins([{ text: 'ssh-dss AAAAB3NzaC1kc3MAAACBAP', source }])).toThrow(
      'input "host-key" line 1: expected an SSH public host key such as "ssh-ed25519 AAAA…"',
    );
    expect(() => parseHostKeyPins([{ text: good.line.slice(0, 40), source }])).toThrow(
      'input "host-key" line 1: the ssh-ed25519 key data is not a valid key',
    );
  });

  it('rejects pins that are not keys, naming which one', () => {
    const bad = [
      'SHA256:not base64!',
      `vm1 ssh-ed25519 AAAAnotakey`,
      'just-a-hostname',
      `@cert-authority * ${good.line}`,
    ];
    for (const pin of bad) {
      const error = (() => {
        try {
          parseHostKeyPins([good.fingerprint, pin]);
        } catch (e) {
          return e;
        }
      })();
      expect(error, pin).toBeInstanceOf(PipelineError);
      expect((error as PipelineError).message, pin).toMatch(/^host key pin 2/);
    }
  });
});
