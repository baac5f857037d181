/** The `mlops` command itself, from the package root as `npx mlops`. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO, runMlops } from '../helpers/project.js';

const run = promisify(execFile);

describe('mlops', () => {
  it('`npx mlops --help` works from the package root and lists the stages', async () => {
    const { stdout } = await run('npx', ['--no-install', 'mlops', '--help'], { cwd: REPO });
    expect(stdout).toContain('Usage: mlops [options] [command]');
    for (const command of ['run', 'train', 'evaluate', 'gate', 'report', 'predict', 'schema'])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('exits 2 on an unknown command, with the help', async () => {
    const result = await runMlops(['deploy-everything'], { cwd: REPO });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'deploy-everything'");
    expect(result.stderr).toContain('Usage: mlops');
  });

  it('`mlops schema` prints the JSON Schema that mlops.schema.json holds', async () => {
    const result = await runMlops(['schema'], { cwd: REPO });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(await readFile(join(REPO, 'mlops.schema.json'), 'utf8'));
  });
});
