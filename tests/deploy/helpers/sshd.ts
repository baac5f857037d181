/**
 * A real OpenSSH server for one test file: Debian's /usr/sbin/sshd on 127.0.0.1
 * at a free port, with a host key and a client key generated for this run and
 * root allowed in by that key only.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Sshd {
  port: number;
  /** The client's private key (OpenSSH format). */
  privateKey: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`, as ssh-keyscan would print it. */
  knownHostsLine: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function keygen(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

export async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile]);
  return stdout.split(' ')[1]!;
}

/** Another ed25519 key, for pins that must not match. */
export async function strayHostKey(dir: string): Promise<{ line: string; fingerprint: string }> {
  const path = join(dir, `stray_${Math.random().toString(16).slice(2)}`);
  await keygen(path, 'stray');
  const [type, blob] = (await readFile(`${path}.pub`, 'utf8')).split(' ');
  return { line: `${type} ${blob}`, fingerprint: await fingerprintOf(`${path}.pub`) };
}

async function waitForBanner(port: number, child: ChildProcess, log: () => string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    const banner = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString());
      });
      socket.once('error', () => resolve(''));
    });
    if (banner.startsWith('SSH-2.0-')) return;
    await sleep(50);
  }
  throw new Error(`sshd did not answer on port ${port}: ${log()}`);
}

export async function startSshd(): Promise<Sshd> {
  try {
    await access('/usr/sbin/sshd');
  } catch {
    throw new Error('/usr/sbin/sshd is missing: run scripts/services/sshd.sh (npm test does)');
  }
  // sshd will not start without its privilege-separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  // Under /run, not /tmp: sshd's StrictModes refuses an AuthorizedKeysFile below a
  // world-writable directory, and we keep StrictModes on.
  const dir = await mkdtemp('/run/mlops-test-sshd-');
  await chmod(dir, 0o700);
  await keygen(join(dir, 'host_ed25519'), 'host');
  await keygen(join(dir, 'client_ed25519'), 'deploy');
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_ed25519.pub')), {
    mode: 0o600,
  });
  const port = await freePort();
  const config = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes yes',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // Readiness probes reach the service through the connection (direct-tcpip).
    'AllowTcpForwarding local',
    'Subsystem sftp internal-sftp',
    'MaxSessions 50',
    'MaxStartups 50',
    'LogLevel ERROR',
    // Debian's bash sources ~/.bashrc for commands run over SSH unless it is a
    // nested shell; root's rc files on a developer machine can take half a second
    // per command, and the deploy runs a dozen. They are not what is under test.
    'SetEnv SHLVL=1',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`, { mode: 0o600 });
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForBanner(port, child, () => stderr);
  const [type, blob] = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).split(' ');
  return {
    port,
    dir,
    privateKey: await readFile(join(dir, 'client_ed25519'), 'utf8'),
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${blob}`,
    fingerprint: await fingerprintOf(join(dir, 'host_ed25519.pub')),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
