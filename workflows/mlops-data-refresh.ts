/**
 * mlops-data-refresh.yml: run `mlops data refresh --push` (data.refresh in
 * mlops.yaml) and, when the data changed, commit its pointer to the branch
 * mlops/data-refresh and open the one "Data refresh" pull request, or update
 * it. Fresh data then reaches production only through review, as code does.
 * Without a change there is no commit and no pull request; the summary says so.
 */
import { KEY_ENV } from './registry.js';
import {
  checkout,
  installPipeline,
  job,
  MLOPS_CLI,
  OPEN_REFRESH_PR,
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
 * A pull request opened with the job's own token starts no workflow (GitHub's
 * rule against loops); MLOPS_PR_TOKEN, when given, opens it so pr.yml runs on it.
 */
const OPEN_PR = [
  'git config user.name "github-actions[bot]"',
  'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
  `git switch -C ${REFRESH_BRANCH}`,
  "git add -u -- '*.dvc'",
  'git commit -q -m "Data refresh"',
  `git push --force "https://x-access-token:\${GH_TOKEN}@\${GITHUB_SERVER_URL#https://}/\${GITHUB_REPOSITORY}.git" HEAD:refs/heads/${REFRESH_BRANCH}`,
  '{ echo "Fresh data from \\`mlops data refresh\\`:"; echo; echo "\\`\\`\\`"; cat "$RUNNER_TEMP/refresh.txt"; echo "\\`\\`\\`"; } > "$RUNNER_TEMP/body.md"',
  `number=$(gh pr list --head ${REFRESH_BRANCH} --state open --json number --jq '.[0].number')`,
  'if [ -n "$number" ]; then',
  '  gh pr edit "$number" --body-file "$RUNNER_TEMP/body.md"',
  '  echo "### Data refresh: the data changed, pull request #$number updated" >> "$GITHUB_STEP_SUMMARY"',
  'else',
  `  url=$(gh pr create --head ${REFRESH_BRANCH} --base "$GITHUB_REF_NAME" --title "Data refresh" --body-file "$RUNNER_TEMP/body.md")`,
  '  echo "### Data refresh: the data changed, pull request opened: $url" >> "$GITHUB_STEP_SUMMARY"',
  'fi',
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
          name: OPEN_REFRESH_PR,
          if: "steps.refresh.outputs.changed == 'true'",
          env: { GH_TOKEN: '${{ secrets.MLOPS_PR_TOKEN || github.token }}' },
          run: OPEN_PR,
        },
      ],
    }),
  },
};
