/** Servers a benchmark starts, waits for and stops: our own and the anchors. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Started {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
  /** What the process printed, for messages when it fails. */
  output(): string;
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Start `command` (split on spaces) and wait until GET `readyPath` answers 200;
 * throws with the process's output when it exits or never becomes ready.
 */
export async function startServer(
  command: string[],
  options: {
    port: number;
    readyPath: string;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
  },
): Promise<Started> {
  const [bin, ...args] = command;
  const child = spawn(bin!, args, { cwd: options.cwd, env: options.env ?? process.env });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (exited !== undefined) return;
    const gone = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`${command.join(' ')} exited with ${exited} before it was ready:\n${output}`);
    try {
      const response = await fetch(`${url}${options.readyPath}`);
      await response.arrayBuffer();
      if (response.ok) return { child, url, stop, output: () => output };
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  await stop();
  throw new Error(
    `${command.join(' ')} was not ready after ${options.timeoutMs ?? 60_000} ms:\n${output}`,
  );
}
