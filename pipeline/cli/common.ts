/** Options and printing shared by the `mlops` subcommands. */
import { Option, type Command } from 'commander';
import { relative } from 'node:path';
import { fmt } from '../report/markdown.js';
import type { MetricsFile } from '../report/metrics-file.js';
import { PipelineError } from '../errors.js';
import { BACKENDS, type BackendName } from '../train/backend-names.js';
import type { EngineChoice } from '../train/trainers/types.js';

export interface CommonOptions {
  config: string;
  set: string[];
  backend?: BackendName;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function backendOption(): Option {
  return new Option('--backend <name>', 'TensorFlow.js backend to prefer').choices(BACKENDS);
}

/** --config, --set, --backend and --quiet, as every pipeline stage takes them. */
export function withCommon(command: Command): Command {
  return command
    .option('-c, --config <file>', 'pipeline definition', 'mlops.yaml')
    .option(
      '--set <key.path=value>',
      'override a config key (repeatable), e.g. model.epochs=50',
      collect,
      [],
    )
    .addOption(backendOption())
    .option('-q, --quiet', 'print only the result');
}

const DENSE_KERNELS = ['wasm-simd', 'js'] as const;

/**
 * The engine asked for: --backend, and MLOPS_DENSE_KERNEL=js to train the
 * dense kinds on the JavaScript kernel where WebAssembly SIMD would load (a
 * runner without SIMD trains there anyway; the model version tells them apart).
 */
export function engineChoice(opts: { backend?: BackendName }): EngineChoice {
  const kernel = process.env['MLOPS_DENSE_KERNEL'] || undefined;
  if (kernel !== undefined && !(DENSE_KERNELS as readonly string[]).includes(kernel))
    throw new PipelineError(
      'usage',
      `MLOPS_DENSE_KERNEL: expected one of ${DENSE_KERNELS.join(', ')}, got "${kernel}"`,
    );
  return {
    backend: opts.backend,
    ...(kernel ? { denseKernel: kernel as EngineChoice['denseKernel'] } : {}),
  };
}

/** A path as the user would type it from here. */
export function show(path: string): string {
  return relative(process.cwd(), path) || path;
}

export function say(stage: string, text: string): void {
  process.stderr.write(`${stage.padEnd(9)}${text}\n`);
}

export function printGates(result: MetricsFile): void {
  for (const g of result.gates) {
    const mark = g.skipped ? '⚪' : g.passed ? '✅' : '❌';
    const detail = g.skipped
      ? `skipped: ${g.skipped}`
      : `value ${fmt(g.value)}, bound ${fmt(g.bound)}`;
    say('gate', `${mark} ${g.name} (${detail})`);
  }
}

export function printMetrics(result: MetricsFile): void {
  const headline = Object.entries(result.metrics).filter(([k]) => !k.includes('.'));
  say(
    'evaluate',
    `test split, ${result.rows} rows: ${headline.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`,
  );
}
