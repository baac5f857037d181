/**
 * The `mlops` command: parse arguments, call a stage, print, pick an exit code
 * (0 ok, 1 a gate failed, 2 bad input or config, 3 a bug of ours; 130 and 143 when
 * SIGINT or SIGTERM stopped a training command, see interrupt.ts).
 * Each group of subcommands lives in commands/ and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, PipelineError } from '../errors.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDataCommands } from './commands/data.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerMonitorCommands } from './commands/monitor.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerProductionCommand } from './commands/production.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerServeCommand } from './commands/serve.js';
import { Interrupted } from './interrupt.js';

export function buildProgram(): Command {
  const program = new Command('mlops')
    .description(
      'Train, evaluate, gate and report a model as code, the same way locally and in CI.',
    )
    .showHelpAfterError()
    .exitOverride();
  registerPipelineCommands(program);
  registerDataCommands(program);
  registerPredictCommand(program);
  registerBenchCommand(program);
  registerRegistryCommands(program);
  registerProductionCommand(program);
  registerSchemaCommand(program);
  registerConfigCommands(program);
  registerDeployCommand(program);
  registerServeCommand(program);
  registerMonitorCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has printed its own message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof Interrupted) {
      process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof PipelineError) {
      process.stderr.write(`${error.code === 'gate' ? 'failed' : 'error'}: ${error.message}\n`);
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    } else {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`internal error: ${text}\n`);
    }
    return exitCodeFor(error);
  }
}

process.exitCode = await main(process.argv);
