/**
 * mlops-data-refresh.yml: run `mlops data refresh --push` (data.refresh in
 * mlops.yaml) and, when the data changed, propose its pointer (the propose
 * action): commit it to the branch mlops/data-refresh, force-push it, and open
 * the one "Data refresh" pull request, or update it. Fresh data then reaches production only through review, as code does.
 * Without a change there is no commit and no pull request; the summary says so.
 */
import { KEY_ENV } from './registry.js';
import {
  action,
  checkout,
  installPipeline,
  job,
  MLOPS_CLI,
  PIPELINE_INPUTS,
  pipelineCheckout,
  setupPipelineNode,
} from './steps.js';
import type { ReusableWorkflow } from './types.js';

const REFRESH_BRANCH = 'mlops/data-refresh';

const REFRESH = [
  `${MLOPS_CLI} data pull`,
  `${MLOPS_CLI} data refresh --push 2> "$RUNNER_TEMP/refresh.txt" || { cat "$RUNNER_TEMP/refresh.txt" >&2; exit 1; }`,
  'cat "$RUNNER_TEMP/refresh.txt" >&2',
  "if git diff --quiet -- '*.dvc'; then",
  '  echo "changed=false" >> "$GITHUB_OUTPUT"',
  '  echo "### Data refresh: the data is unchanged, no pull request" >> "$GITHUB_STEP_SUMMARY"',
  'else',
  '  echo "changed=true" >> "$GITHUB_OUTPUT"',
  'fi',
].join('\n');

/**
 * The pull request's body: what the refresh printed, then, when monitoring
 * asked for it (repository_dispatch drift-alert), the evidence it sent. The
 * event's text reaches the script only through env, and the body reaches the
 * propose action only as a file: nothing from the event is ever part of a script.
 */
const DESCRIBE = [
  '{',
  '  echo "Fresh data from \\`mlops data refresh\\`:"',
  '  echo',
  "  echo '```'",
  '  cat "$RUNNER_TEMP/refresh.txt"',
  "  echo '```'",
  '  if [ -n "$EVIDENCE" ]; then',
  '    echo',
  '    echo "### Evidence from monitoring${REASON:+ ($REASON)}"',
  '    echo',
  '    printf "%s\\n" "$EVIDENCE"',
  '  fi',
  '} > "$RUNNER_TEMP/body.md"',
].join('\n');

export const mlopsDataRefresh: ReusableWorkflow = {
  name: 'mlops-data-refresh',
  on: {
    workflow_call: {
      inputs: { ...PIPELINE_INPUTS },
      secrets: {
        GCP_SA_KEY: {
          description:
            "A service account key (JSON) that may read and write the data remote's bucket",
          required: false,
        },
        MLOPS_PR_TOKEN: {
          description:
            'A token that opens the pull request so its pipeline runs (contents and pull-requests write); without it the job token opens it and pr.yml does not start',
          required: false,
        },
      },
    },
  },
  permissions: {},
  jobs: {
    refresh: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 30,
      steps: [
        checkout,
        pipelineCheckout('all'),
        setupPipelineNode,
        installPipeline,
        { name: 'Refresh the data', id: 'refresh', env: KEY_ENV, run: REFRESH },
        {
          name: 'Describe the data refresh',
          if: "steps.refresh.outputs.changed == 'true'",
          env: {
            REASON: '${{ github.event.client_payload.reason }}',
            EVIDENCE: '${{ github.event.client_payload.summary }}',
          },
          run: DESCRIBE,
        },
        // A pull request opened with the job's own token starts no workflow (GitHub's
        // rule against loops); MLOPS_PR_TOKEN, when given, opens it so pr.yml runs on it.
        action('propose', {
          name: 'Open or update the data refresh pull request',
          if: "steps.refresh.outputs.changed == 'true'",
          with: {
            branch: REFRESH_BRANCH,
            title: 'Data refresh',
            paths: '*.dvc',
            'body-file': '${{ runner.temp }}/body.md',
            'github-token': '${{ secrets.MLOPS_PR_TOKEN || github.token }}',
          },
        }),
      ],
    }),
  },
};
