/** `mlops schema`: the JSON Schema of mlops.yaml, for editors. */
import type { Command } from 'commander';
import { configJsonSchema } from '../../config/schema.js';
import { writeFileAtomic } from '../../util/files.js';
import { say } from '../common.js';

export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of mlops.yaml, or write it to mlops.schema.json')
    .option('--write [file]', 'write it to a file (default mlops.schema.json)')
    .action(async (opts: { write?: string | boolean }) => {
      if (!opts.write) {
        process.stdout.write(schemaText());
        return;
      }
      const file = typeof opts.write === 'string' ? opts.write : 'mlops.schema.json';
      await writeFileAtomic(file, schemaText());
      say('schema', file);
    });
}
