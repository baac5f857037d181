import * as core from '@actions/core';
import { hostname } from 'node:os';
import { describePins } from '../../../pipeline/deploy/host-key.js';
import type { ReviewDecision } from '../../../pipeline/deploy/reviewed.js';
import { runDeploy } from '../../../pipeline/deploy/run-deploy.js';
import { shortSha } from '../../../pipeline/util/hash.js';
import { client, repository } from '../../shared/src/github.js';
import { runAction } from '../../shared/src/run.js';
import { writeSummary } from '../../shared/src/summary.js';
import { recordRelease } from './record.js';
import { checkReview, ReviewRefused, tellPullRequest } from './review.js';
import { readInputs, readReleaseInputs } from './settings.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = readInputs();
    const around = readReleaseInputs();
    const octokit = around.requireReview ? client(around.githubToken) : undefined;
    // A cancelled run gets SIGINT, then SIGTERM: either one rolls back and unlocks.
    const cancel = new AbortController();
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => cancel.abort(name));
    let target = '';
    let hostKey = '';
    let review: Exclude<ReviewDecision, { kind: 'refused' }> | undefined;
    let outcome;
    try {
      outcome = await runDeploy({
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
        // Before any host is contacted: the model must be the reviewed one.
        approve: async () => {
          review = await checkReview({
            model: inputs.model,
            requireReview: around.requireReview,
            github: octokit && {
              octokit,
              repo: repository(),
              commit: process.env['GITHUB_SHA'] ?? '',
            },
          });
          core.info(review.summary);
        },
        signal: cancel.signal,
      });
    } catch (error) {
      if (!(error instanceof ReviewRefused)) throw error;
      core.error(`${error.message}\n${error.hint}`, { title: 'Not the reviewed model' });
      await writeSummary((s) =>
        s.addHeading('Deploy', 3).addRaw(`Refused: ${error.message}.`, true),
      );
      return 1;
    }
    const release = outcome.plan.release.version;
    const verb = outcome.deployed ? 'deployed' : 'planned (dry run, nothing changed)';
    const decision = review!;
    // What went live is said first: a record that cannot be pushed must not hide it.
    await writeSummary((s) =>
      s
        .addHeading('Deploy', 3)
        .addRaw(
          `Release \`${release}\` ${verb} on \`${target}\` (host key \`${hostKey}\`).\n\n${decision.summary}`,
          true,
        ),
    );
    core.setOutput('release', release);
    core.setOutput('deployed', outcome.deployed);
    core.setOutput('url', '');
    if (outcome.deployed && decision.kind === 'main-moved') {
      const url = await tellPullRequest(
        octokit!,
        repository(),
        decision.pullRequest,
        decision.comment,
      );
      core.info(`told pull request #${decision.pullRequest} which model went live: ${url}`);
    }
    if (outcome.deployed && around.recordProduction) {
      const { id, record } = await recordRelease({
        model: inputs.model,
        metrics: around.metrics,
        bench: around.bench,
        token: around.githubToken,
      });
      const text = `Production record \`${id.slice(0, 12)}\` on refs/mlops/production: model \`${record.model_version}\`, weights sha256 \`${shortSha(record.weights_sha256)}\`.`;
      core.info(text);
      await writeSummary((s) => s.addRaw(text, true));
    }
  });
}
