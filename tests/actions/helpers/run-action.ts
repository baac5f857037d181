/**
 * Run a bundled action as the runner does: `node actions/<name>/dist/index.js`
 * in the workspace, inputs as INPUT_<NAME> (upper-cased, hyphens kept), and the
 * files the runner reads back: GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. Workflow
 * commands on stdout (::add-mask::, ::error …) are parsed as the runner parses them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  file?: string;
  line?: number;
  title?: string;
  message: string;
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  masks: string[];
}

/** `name<<delimiter\nvalue\ndelimiter` blocks, as @actions/core writes them. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    outputs[m[1]!] = value.join('\n');
  }
  return outputs;
}

const unescapeData = (s: string) =>
  s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
const unescapeProp = (s: string) => unescapeData(s).replaceAll('%3A', ':').replaceAll('%2C', ',');

export function parseAnnotations(stdout: string): Annotation[] {
  const found: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const props = Object.fromEntries(
      (m[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map((p) => [p.slice(0, p.indexOf('=')), unescapeProp(p.slice(p.indexOf('=') + 1))]),
    );
    found.push({
      level: m[1] as Annotation['level'],
      file: props['file'],
      line: props['line'] ? Number(props['line']) : undefined,
      title: props['title'],
      message: unescapeData(m[3]!),
    });
  }
  return found;
}

export async function runAction(
  name: string,
  options: {
    workspace: string;
    inputs?: Record<string, string>;
    env?: Record<string, string>;
    /** The pipeline checkout whose actions/<name>/dist runs: this repository unless given. */
    pipeline?: string;
  },
): Promise<ActionRun> {
  const files = await mkdtemp(join(tmpdir(), 'mlops-runner-'));
  const outputFile = join(files, 'output');
  const summaryFile = join(files, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? files,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: files,
    GITHUB_SERVER_URL: 'https://github.com',
    ...options.env,
  };
  for (const [key, value] of Object.entries(options.inputs ?? {}))
    env[`INPUT_${key.replace(/ /g, '_').toUpperCase()}`] = value;
  try {
    const child = spawn(
      process.execPath,
      [join(options.pipeline ?? REPO_ROOT, 'actions', name, 'dist', 'index.js')],
      {
        cwd: options.workspace,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((done, fail) => {
      child.on('error', fail);
      child.on('close', (c) => done(c ?? -1));
    });
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputs(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      annotations: parseAnnotations(stdout),
      masks: stdout
        .split('\n')
        .filter((l) => l.startsWith('::add-mask::'))
        .map((l) => unescapeData(l.slice('::add-mask::'.length))),
    };
  } finally {
    await rm(files, { recursive: true, force: true });
  }
}
