import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PipelineError } from '../../../pipeline/errors.js';
import { client, repository } from '../../shared/src/github.js';
import { runAction } from '../../shared/src/run.js';
import { writeSummary } from '../../shared/src/summary.js';
import { commitAndPush, stage } from './branch.js';
import { openOrUpdate } from './pull-request.js';
import { readSettings } from './settings.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = readSettings();
    const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
    const files = await stage(workspace, settings.paths);
    if (!files.length) {
      core.setOutput('result', 'unchanged');
      core.setOutput('pr-number', '');
      core.setOutput('pr-url', '');
      await writeSummary((s) =>
        s.addRaw(
          `### ${settings.title}: nothing changed in ${settings.paths.join(', ')}, no pull request\n`,
        ),
      );
      return;
    }
    // Read before anything is pushed: a missing body leaves the remote as it was.
    const bodyPath = resolve(workspace, settings.bodyFile);
    const body = await readFile(bodyPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new PipelineError(
        'usage',
        `input "body-file": cannot read ${bodyPath} (${error.code ?? error.message})`,
        { hint: 'Write the pull request body to that file in a step before this one.' },
      );
    });
    const octokit = client(settings.token);
    const repo = repository();
    await commitAndPush(workspace, settings);
    const pull = await openOrUpdate(octokit, repo, {
      head: settings.branch,
      base: settings.base,
      title: settings.title,
      body,
    });
    core.setOutput('result', pull.created ? 'created' : 'updated');
    core.setOutput('pr-number', pull.number);
    core.setOutput('pr-url', pull.url);
    await writeSummary((s) =>
      s.addRaw(
        `### ${settings.title}: pull request [#${pull.number}](${pull.url}) ${pull.created ? 'opened' : 'updated'} with ${files.join(', ')}\n`,
      ),
    );
  });
}
