/** `mlops config set`: change mlops.yaml from the command line, keeping its comments and layout. */
import type { Command } from 'commander';
import { setConfigValues } from '../../config/edit.js';
import { say, show } from '../common.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('read and change mlops.yaml');
  config
    .command('set <assignments...>')
    .description(
      'set KEY.PATH=VALUE in mlops.yaml (VALUE read as YAML), checked against the schema first',
    )
    .option('-c, --config <file>', 'pipeline definition', 'mlops.yaml')
    .action(async (assignments: string[], opts: { config: string }) => {
      await setConfigValues(opts.config, assignments);
      for (const a of assignments) say('config', `${show(opts.config)}: ${a}`);
    });
}
