/**
 * One SSH connection to a VM (ssh2): run commands, open SFTP, and reach the
 * service on the VM's loopback. The host key is checked against the pins during
 * the key exchange, so a host that fails it never gets as far as authentication:
 * it sees no key signature, no command and no file of ours.
 */
import type { Duplex } from 'node:stream';
// ssh2 is CommonJS: Node's ESM loader finds `Client` among its named exports, not `utils`.
import ssh2, { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
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
  /** Still running at its deadline, so the VM stopped it. */
  timedOut: boolean;
}

function unusableKey(error: unknown): PipelineError {
  return new PipelineError(
    'deploy',
    `the SSH private key cannot be used (${(error as Error).message})`,
    {
      hint: 'Give an OpenSSH or PEM private key; set the passphrase when it is encrypted.',
      cause: error,
    },
  );
}

/** Parse the private key (with its passphrase) as the connection will, so a bad one fails before any host is contacted. */
export function checkCredentials(credentials: Credentials): void {
  const parsed = ssh2.utils.parseKey(credentials.privateKey, credentials.passphrase);
  if (parsed instanceof Error) throw unusableKey(parsed);
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

/** What an AbortSignal was aborted for, in words (the shells abort with the signal's name). */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

export function interrupted(name: string, signal: AbortSignal): PipelineError {
  return new PipelineError('deploy', `${name}: interrupted (${abortReason(signal)})`);
}

/** The line in which a command reports its process group, ahead of its own stderr. */
const GROUP_MARK = 'mlops-pgid:';
/** Seconds between the SIGTERM at a deadline and the SIGKILL for a command that ignores it. */
const KILL_AFTER_S = 2;
/**
 * How long a channel may stay open past its command's deadline and SIGKILL before
 * we stop waiting for it: only a connection that no longer answers gets there.
 */
const CLOSE_GRACE_MS = 5_000;

/**
 * The command as the VM runs it: under timeout(1), which ends its whole process
 * group (SIGTERM, SIGKILL 2 s later) when the deadline passes, on the VM's own
 * clock, whether or not we are still connected. Closing the channel would not do:
 * OpenSSH neither kills a command without a pty when its channel closes, nor acts
 * on a signal request for one. The group id comes first on stderr so that an
 * interrupted deploy can end the command at once.
 */
function deadlined(command: string, timeoutMs: number): string {
  return [
    `printf '${GROUP_MARK}%s\\n' "$$" >&2`,
    "command -v timeout > /dev/null || { echo 'timeout(1) from coreutils is missing on the VM' >&2; exit 127; }",
    `exec timeout -k ${KILL_AFTER_S} ${(timeoutMs / 1000).toFixed(3)} "\${SHELL:-/bin/sh}" -c ${quote([command])}`,
  ].join('; ');
}

export interface ExecOptions {
  /** Deadline of the command; the host's command timeout when omitted. */
  timeoutMs?: number;
  input?: string | Buffer;
  /** Ends the command on the VM at once and fails with `interrupted`. */
  signal?: AbortSignal;
}

export class RemoteHost {
  private sftpSession?: Promise<SFTPWrapper>;

  constructor(
    readonly target: Target,
    private readonly client: Client,
    /** The deadline of a command that names none. */
    readonly commandTimeoutMs: number,
  ) {}

  get name(): string {
    return describeTarget(this.target);
  }

  /**
   * Run a command, with `input` on its standard input. One still running after
   * its deadline is stopped on the VM and comes back `timedOut`; one whose
   * `signal` aborts is stopped at once and fails.
   */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { input, signal } = options;
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    if (signal?.aborted) return Promise.reject(interrupted(this.name, signal));
    const started = Date.now();
    return new Promise((resolve, reject) => {
      this.client.exec(deadlined(command, timeoutMs), (error, channel: ClientChannel) => {
        if (error) return reject(error);
        const out: Buffer[] = [];
        let err = '';
        let group: string | undefined;
        let code = -1;
        let settled = false;
        let abandoned = false;
        const kill = () => {
          if (group)
            this.exec(`kill -TERM -- -${group} 2> /dev/null; true`, { timeoutMs: 10_000 }).catch(
              () => undefined,
            );
        };
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(backstop);
          signal?.removeEventListener('abort', onAbort);
          if (abandoned) channel.close();
          if (signal?.aborted) return reject(interrupted(this.name, signal));
          // timeout(1) says 124 (137 when SIGKILL was needed); a command may say so
          // itself, but not one that ended before its deadline.
          const timedOut =
            abandoned || ((code === 124 || code === 137) && Date.now() - started >= timeoutMs);
          resolve({
            code: timedOut ? -1 : code,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: timedOut ? `${err}still running after ${timeoutMs} ms` : err,
            timedOut,
          });
        };
        const giveUp = () => {
          abandoned = true;
          finish();
        };
        let backstop = setTimeout(giveUp, timeoutMs + KILL_AFTER_S * 1000 + CLOSE_GRACE_MS);
        const onAbort = () => {
          kill();
          clearTimeout(backstop);
          backstop = setTimeout(giveUp, KILL_AFTER_S * 1000 + CLOSE_GRACE_MS);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        channel.end(input);
        channel.on('data', (chunk: Buffer) => out.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString('utf8');
          if (group !== undefined) return;
          const mark = new RegExp(`^${GROUP_MARK}(\\d+)\\n`, 'm').exec(err);
          if (!mark) return;
          group = mark[1]!;
          err = err.slice(0, mark.index) + err.slice(mark.index + mark[0].length);
          if (signal?.aborted) kill();
        });
        channel.on('exit', (status: number | null) => (code = status ?? -1));
        channel.on('close', finish);
      });
    });
  }

  /** Run a command that must succeed; `what` names the step in the error. */
  async run(command: string, what: string, options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.timedOut)
      throw new PipelineError(
        'deploy',
        `${this.name}: ${what} was still running after ${(options.timeoutMs ?? this.commandTimeoutMs) / 1000} s and was stopped`,
      );
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

  /** Close the SFTP session: transfers in flight fail, the connection stays for what follows. */
  endSftp(): void {
    const session = this.sftpSession;
    this.sftpSession = undefined;
    session?.then((sftp) => sftp.end()).catch(() => undefined);
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
    "Check the key on the VM itself (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) and pin it (`mlops deploy --host-key`, or the deploy-vm action's `host-key` input).";
  const message = {
    unpinned: `${name}: refused host key ${verdict.fingerprint}: no host key is pinned for this host`,
    mismatch: `${name}: refused host key ${verdict.fingerprint}: it matches no pinned key (the host key changed, or this is not the host you meant)`,
    revoked: `${name}: refused host key ${verdict.fingerprint}: it is marked @revoked`,
  }[verdict.reason];
  return new PipelineError('deploy', message, { hint });
}

export interface ConnectOptions {
  /** How long the connection and the key exchange may take. */
  timeoutMs: number;
  /** The deadline of each command that names none. */
  commandTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Keepalives every 10 s, three unanswered ones end the connection: a VM that
 * vanished mid-deploy fails what is in flight (an SFTP upload has no deadline of
 * its own: it takes as long as the release is large) rather than hanging it.
 */
const KEEPALIVE = { keepaliveInterval: 10_000, keepaliveCountMax: 3 };

export function connect(
  target: Target,
  credentials: Credentials,
  pins: HostKeyPins,
  options: ConnectOptions,
): Promise<RemoteHost> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(interrupted(describeTarget(target), signal));
  const client = new Client();
  let verdict: HostKeyVerdict | undefined;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
      reject(interrupted(describeTarget(target), signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      signal?.removeEventListener('abort', onAbort);
      client.removeAllListeners('error');
      // A dropped connection later surfaces through the operation that uses it.
      client.on('error', () => {});
      resolve(new RemoteHost(target, client, options.commandTimeoutMs));
    });
    client.once('error', (error: Error & { level?: string }) => {
      signal?.removeEventListener('abort', onAbort);
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
        readyTimeout: options.timeoutMs,
        ...KEEPALIVE,
        hostVerifier: (key: Buffer) => {
          verdict = verifyHostKey(pins, target.host, target.port, key);
          return verdict.accepted;
        },
      });
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      // ssh2 throws synchronously on a private key it cannot parse.
      reject(unusableKey(error));
    }
  });
}
