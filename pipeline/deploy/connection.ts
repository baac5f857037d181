/**
 * One SSH connection to a VM (ssh2): run commands, open SFTP, and reach the
 * service on the VM's loopback. The host key is checked against the pins during
 * the key exchange, so a host that fails it never gets as far as authentication:
 * it sees no key signature, no command and no file of ours.
 */
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { quote } from 'shell-quote';
import { PipelineError } from '../errors.js';
import { verifyHostKey, type HostKeyPins, type HostKeyVerdict } from './host-key.js';
import { describeTarget, type Target } from './settings.js';

export interface Credentials {
  privateKey: string | Buffer;
  passphrase?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A POSIX shell command with its words quoted. */
export function sh(...words: string[]): string {
  return quote(words);
}

/** Export variables for a whole command line, compound ones included (sshd drops env requests it was not told to accept). */
export function withEnv(env: Record<string, string>, command: string): string {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote([v])};`);
  return [...exports, command].join(' ');
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string | Buffer;
}

export class RemoteHost {
  private sftpSession?: Promise<SFTPWrapper>;

  constructor(
    readonly target: Target,
    private readonly client: Client,
  ) {}

  get name(): string {
    return describeTarget(this.target);
  }

  /**
   * Run a command, with `input` on its standard input; one still running after
   * `timeoutMs` has its channel closed and fails.
   */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { timeoutMs, input } = options;
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel: ClientChannel) => {
        if (error) return reject(error);
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let code = -1;
        let timedOut = false;
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                timedOut = true;
                channel.close();
              }, timeoutMs);
        channel.end(input);
        channel.on('data', (chunk: Buffer) => out.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
        channel.on('exit', (status: number | null) => (code = status ?? -1));
        channel.on('close', () => {
          clearTimeout(timer);
          if (timedOut) err.push(Buffer.from(`still running after ${timeoutMs} ms`));
          resolve({
            code: timedOut ? -1 : code,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          });
        });
      });
    });
  }

  /** Run a command that must succeed; `what` names the step in the error. */
  async run(command: string, what: string, options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.code !== 0) {
      const output = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
      throw new PipelineError(
        'deploy',
        `${this.name}: ${what} failed (exit ${result.code})${output ? `: ${output}` : ''}`,
      );
    }
    return result.stdout;
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) =>
      this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))),
    );
    return this.sftpSession;
  }

  /** A TCP stream to `127.0.0.1:port` as seen from the VM (a direct-tcpip channel). */
  forward(port: number): Promise<Duplex> {
    return new Promise((resolve, reject) =>
      this.client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (error, stream) =>
        error ? reject(error) : resolve(stream),
      ),
    );
  }

  close(): void {
    this.client.end();
  }
}

function hostKeyError(target: Target, verdict: Exclude<HostKeyVerdict, { accepted: true }>) {
  const name = describeTarget(target);
  const hint =
    'Check the key on the VM itself (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) and pin it with --host-key.';
  const message = {
    unpinned: `${name}: refused host key ${verdict.fingerprint}: no host key is pinned for this host`,
    mismatch: `${name}: refused host key ${verdict.fingerprint}: it matches no pinned key (the host key changed, or this is not the host you meant)`,
    revoked: `${name}: refused host key ${verdict.fingerprint}: it is marked @revoked`,
  }[verdict.reason];
  return new PipelineError('deploy', message, { hint });
}

export function connect(
  target: Target,
  credentials: Credentials,
  pins: HostKeyPins,
  timeoutMs: number,
): Promise<RemoteHost> {
  const client = new Client();
  let verdict: HostKeyVerdict | undefined;
  return new Promise((resolve, reject) => {
    client.once('ready', () => {
      client.removeAllListeners('error');
      // A dropped connection later surfaces through the operation that uses it.
      client.on('error', () => {});
      resolve(new RemoteHost(target, client));
    });
    client.once('error', (error: Error & { level?: string }) => {
      client.end();
      const name = describeTarget(target);
      if (verdict && !verdict.accepted) return reject(hostKeyError(target, verdict));
      if (error.level === 'client-authentication')
        return reject(
          new PipelineError('deploy', `${name}: the VM did not accept the private key`, {
            hint: `Add the public key to ~${target.user}/.ssh/authorized_keys on the VM.`,
            cause: error,
          }),
        );
      reject(
        new PipelineError('deploy', `${name}: cannot connect (${error.message})`, { cause: error }),
      );
    });
    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: credentials.privateKey,
        passphrase: credentials.passphrase,
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          verdict = verifyHostKey(pins, target.host, target.port, key);
          return verdict.accepted;
        },
      });
    } catch (error) {
      // ssh2 throws synchronously on a private key it cannot parse.
      reject(
        new PipelineError(
          'deploy',
          `the SSH private key cannot be used (${(error as Error).message})`,
          {
            hint: 'Give an OpenSSH or PEM private key; set the passphrase when it is encrypted.',
            cause: error,
          },
        ),
      );
    }
  });
}
