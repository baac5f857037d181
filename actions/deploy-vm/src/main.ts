import * as core from '@actions/core';
import { hostname } from 'node:os';
import { describePins } from '../../../pipeline/deploy/host-key.js';
import { runDeploy } from '../../../pipeline/deploy/run-deploy.js';
import { runAction } from '../../shared/src/run.js';
import { writeSummary } from '../../shared/src/summary.js';
import { readInputs } from './settings.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = readInputs();
    // A cancelled run gets SIGINT, then SIGTERM: either one rolls back and unlocks.
    const cancel = new AbortController();
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => cancel.abort(name));
    let target = '';
    let hostKey = '';
    const outcome = await runDeploy({
      ...inputs,
      by: `github-actions@${hostname()}`,
      pid: process.pid,
      events: {
        planned: ({ settings, pins, release }) => {
          const { user, host, port } = settings.targets[0]!;
          target = `${user}@${host}:${port}`;
          hostKey = describePins(pins);
          core.info(`release ${release.version} to ${target}, host key ${hostKey}`);
        },
        step: (host, text) => core.info(`${host}: ${text}`),
      },
      signal: cancel.signal,
    });
    const release = outcome.plan.release.version;
    const verb = outcome.deployed ? 'deployed' : 'planned (dry run, nothing changed)';
    await writeSummary((s) =>
      s
        .addHeading('Deploy', 3)
        .addRaw(`Release \`${release}\` ${verb} on \`${target}\` (host key \`${hostKey}\`).`, true),
    );
    core.setOutput('release', release);
    core.setOutput('deployed', outcome.deployed);
    core.setOutput('url', '');
  });
}
