/** `mlops predict`: rows from a JSON file (or stdin), predictions as JSON. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { PipelineError } from '../../errors.js';
import { loadBundle } from '../../model/load.js';
import { predictRows } from '../../predict/predict.js';
import { describeFieldErrors } from '../../prepare/preprocess.js';
import { initBackend, type BackendName } from '../../train/backend.js';
import { writeFileAtomic } from '../../util/files.js';
import { backendOption } from '../common.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readRows(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw new PipelineError(
      'input',
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PipelineError('input', `${path}: not valid JSON (${(error as Error).message})`);
  }
  if (Array.isArray(parsed)) return parsed;
  if (parsed && typeof parsed === 'object') return [parsed];
  throw new PipelineError('input', `${path}: expected a JSON array of rows or one row object`);
}

interface PredictOptions {
  input: string;
  model: string;
  output?: string;
  backend?: BackendName;
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('predict a batch of rows with the saved model; JSON in, JSON out')
    .requiredOption(
      '-i, --input <file>',
      'JSON array of rows (objects of feature values); - for stdin',
    )
    .option('-m, --model <dir>', 'model folder', 'artifacts/model')
    .option('-o, --output <file>', 'write the predictions here instead of to stdout')
    .addOption(backendOption())
    .action(async (opts: PredictOptions) => {
      const rows = await readRows(opts.input);
      await initBackend(opts.backend);
      const bundle = await loadBundle(opts.model);
      const outcome = predictRows(bundle, rows);
      if (!outcome.ok) throw describeFieldErrors(outcome.errors, opts.input);
      const text = `${JSON.stringify({ model_version: bundle.metadata.model_version, predictions: outcome.predictions }, null, 2)}\n`;
      if (opts.output) await writeFileAtomic(opts.output, text);
      else process.stdout.write(text);
    });
}
