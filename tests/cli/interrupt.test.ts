/**
 * Ctrl-C and a cancelled CI job: `mlops run` that would train for hours ends
 * within a second of SIGINT or SIGTERM, with 130 or 143, and leaves artifacts/
 * as it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MLOPS_BIN, penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

const ENDLESS = ['--set', 'model.epochs=1000000000', '--set', 'model.patience=0'];

const projects: TempProject[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(projects.splice(0).map((p) => p.remove()));
});

async function project(): Promise<TempProject> {
  const p = await penguinsProject();
  projects.push(p);
  return p;
}

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From sending the signal to the process having exited. */
  ms: number;
  stderr: string;
}

/**
 * Start `mlops ...args` as a user would, wait until its output matches `started`
 * (training has printed a few epochs), send `signal`, and time how long the
 * process takes to end. A process that ignores the signal is killed after 10 s
 * (and the test fails on the time).
 */
function interruptTraining(
  cwd: string,
  args: string[],
  signal: NodeJS.Signals,
  started = /epoch 3\//,
): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['CI'];
    const child = spawn(process.execPath, [MLOPS_BIN, ...args], { cwd, env });
    children.push(child);
    let stderr = '';
    let sentAt: number | undefined;
    let guard: NodeJS.Timeout | undefined;
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (sentAt === undefined && started.test(stderr)) {
        sentAt = performance.now();
        child.kill(signal);
        guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(guard);
      if (sentAt === undefined) reject(new Error(`exited before training started:\n${stderr}`));
      else resolve({ code, signal: sig, ms: performance.now() - sentAt, stderr });
    });
  });
}

/** Every file under `dir` with its content, or undefined when `dir` does not exist. */
async function snapshot(dir: string): Promise<Record<string, string> | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));
  } catch {
    return undefined;
  }
  const files: Record<string, string> = {};
  for (const name of names.sort()) files[name] = (await readFile(name)).toString('base64');
  return files;
}

describe('mlops run stops on a signal while training', () => {
  it('ends within a second of SIGTERM with 143, writing nothing', async () => {
    const p = await project();
    const stopped = await interruptTraining(p.dir, ['run', ...ENDLESS], 'SIGTERM');
    expect(stopped.stderr).toContain('training mlp on');
    // Measured at about 0.1-0.3 s; the margin is for a busy machine.
    expect(stopped.ms).toBeLessThan(2000);
    expect(stopped.code).toBe(143);
    expect(stopped.stderr).toContain('stopped by SIGTERM');
    expect(stopped.stderr).not.toContain('internal error');
    expect(await p.exists('artifacts')).toBe(false);
    expect(await p.exists('reports')).toBe(false);
  }, 60_000);

  it('ends within a second of SIGINT with 130, leaving the saved model as it was', async () => {
    const p = await project();
    const first = await runMlops(['run', '-q', '--set', 'model.epochs=3'], { cwd: p.dir });
    expect([0, 1], first.stderr).toContain(first.code); // the gates may fail after three epochs
    const before = await snapshot(p.path('artifacts'));
    expect(before).toBeDefined();
    const stopped = await interruptTraining(p.dir, ['run', '--force', ...ENDLESS], 'SIGINT');
    expect(stopped.ms).toBeLessThan(2000);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('stopped by SIGINT');
    expect(await snapshot(p.path('artifacts'))).toEqual(before);
  }, 60_000);

  it('mlops train ends on SIGTERM too', async () => {
    const p = await project();
    const stopped = await interruptTraining(p.dir, ['train', ...ENDLESS], 'SIGTERM');
    expect(stopped.ms).toBeLessThan(2000);
    expect(stopped.code).toBe(143);
    expect(await p.exists('artifacts')).toBe(false);
  }, 60_000);

  it('mlops bench ends on SIGTERM while it times predictions', async () => {
    const p = await project();
    const trained = await runMlops(['train', '-q', '--set', 'model.epochs=3'], { cwd: p.dir });
    expect(trained.code, trained.stderr).toBe(0);
    const stopped = await interruptTraining(
      p.dir,
      ['bench', '--set', 'model.epochs=3', '--set', 'bench.iterations=1000000000'],
      'SIGTERM',
      /in-process/,
    );
    expect(stopped.ms).toBeLessThan(2000);
    expect(stopped.code).toBe(143);
    expect(await p.exists('reports/bench.json')).toBe(false);
  }, 60_000);
});
