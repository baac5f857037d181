/**
 * codeql.yml: GitHub's code scanning on the TypeScript and on the workflows
 * (CodeQL's `actions` language: injection from event data, untrusted checkouts,
 * excessive permissions), on every push to main, every pull request to it and
 * weekly, as new queries ship. One job per language, so each is analysed
 * without a build (`build-mode: none` is for one language at a time) and its
 * results are a category of their own. Only these jobs may write, and only
 * security events (the results they upload).
 */
import { checkout, job, pinned } from './steps.js';
import type { Job, Workflow } from './types.js';

export const CODEQL_LANGUAGES = ['javascript-typescript', 'actions'] as const;

/**
 * The action bundles are esbuild's output of actions/*\/src, which is analysed:
 * scanning them too would report each finding again, in a line of minified code.
 */
const CONFIG = ['paths-ignore:', '  - actions/*/dist'].join('\n');

function analyse(language: (typeof CODEQL_LANGUAGES)[number]): Job {
  return job({
    name: `Analyse (${language})`,
    'runs-on': 'ubuntu-latest',
    'timeout-minutes': 30,
    steps: [
      checkout,
      {
        name: 'Initialise CodeQL',
        uses: pinned('github/codeql-action/init'),
        with: { languages: language, 'build-mode': 'none', config: CONFIG },
      },
      {
        name: 'Analyse',
        uses: pinned('github/codeql-action/analyze'),
        with: { category: `/language:${language}` },
      },
    ],
  });
}

export const codeql: Workflow = {
  name: 'codeql',
  on: {
    push: { branches: ['main'] },
    pull_request: { branches: ['main'] },
    schedule: [{ cron: '41 4 * * 2' }],
  },
  permissions: {},
  concurrency: { group: 'codeql-${{ github.ref }}', 'cancel-in-progress': true },
  jobs: Object.fromEntries(CODEQL_LANGUAGES.map((l) => [`analyse-${l}`, analyse(l)])),
};
