/**
 * release.yml: publish a version of the pipeline. On a pushed tag vX.Y.Z (or by
 * hand with a version, which tags the commit it runs on), it rebuilds the
 * action bundles and refuses the release when they differ from the committed
 * ones: the tag must name bundles built from the sources beside them. Then it
 * creates the GitHub release, with the CycloneDX SBOM of the production
 * dependencies it ships attached (mlops-pipeline-<version>.cdx.json, what an
 * adopter's scanner reads), and moves the major tag (v1) to the commit, which
 * is what adopters' `@v1` references and the reusable workflows' default
 * `mlops-ref` resolve to. Only this job may write, and only contents.
 */
import { checkout, install, job, NODE_VERSION, setupNode } from './steps.js';
import type { Step, Workflow } from './types.js';

const TAG_STEP = 'Tag the release and move the major tag';

/** Outside the checkout, which stays as committed; named for the version once the tag step has checked it. */
export const SBOM_FILE = '$RUNNER_TEMP/mlops-pipeline.cdx.json';

/** npm names the SBOM's root component after the folder it runs in. */
const SBOM_TREE = '$RUNNER_TEMP/mlops-pipeline';

/**
 * The CycloneDX SBOM of the packages the lockfile installs for production. It
 * is written from a copy of the lockfile with the development dependencies
 * taken out, not by `npm sbom --omit dev`, which also drops production
 * packages a development one shares (npm/cli#7909: zod, yaml, esbuild, tsx and
 * commander here).
 */
export const SBOM_STEP: Step = {
  name: 'Write the SBOM of the production dependencies (CycloneDX)',
  run: [
    `mkdir -p "${SBOM_TREE}"`,
    `cp package.json package-lock.json "${SBOM_TREE}/"`,
    `cd "${SBOM_TREE}"`,
    'npm pkg delete devDependencies',
    'npm install --package-lock-only --ignore-scripts --no-audit --no-fund',
    `npm sbom --sbom-format cyclonedx --package-lock-only > "${SBOM_FILE}"`,
  ].join('\n'),
};

export const release: Workflow = {
  name: 'release',
  on: {
    push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] },
    workflow_dispatch: {
      inputs: {
        version: {
          description: 'The version to release, vMAJOR.MINOR.PATCH (tags this commit)',
          type: 'string',
          required: true,
        },
      },
    },
  },
  permissions: {},
  concurrency: { group: 'release', 'cancel-in-progress': false },
  jobs: {
    release: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 20,
      steps: [
        checkout,
        // No npm cache: what the release builds must not come from a cache a pull request could fill.
        {
          uses: setupNode.uses!,
          with: { 'node-version': NODE_VERSION, 'package-manager-cache': false },
        },
        install,
        { name: 'Build the action bundles', run: 'npm run build:actions' },
        {
          name: 'Check the committed bundles are the ones built',
          run: [
            'changed=$(git status --porcelain -- actions)',
            'if [ -n "$changed" ]; then',
            '  printf \'%s\\n\' "$changed"',
            '  echo "::error title=Stale action bundles::the committed bundles in actions/ differ from what this commit builds; run npm run build:actions and commit actions/"',
            '  exit 1',
            'fi',
          ].join('\n'),
        },
        SBOM_STEP,
        {
          name: TAG_STEP,
          env: {
            GH_TOKEN: '${{ github.token }}',
            VERSION: '${{ inputs.version || github.ref_name }}',
          },
          run: [
            'if ! [[ "$VERSION" =~ ^v([0-9]+)\\.[0-9]+\\.[0-9]+$ ]]; then',
            '  echo "::error title=Not a version::$VERSION is not vMAJOR.MINOR.PATCH"',
            '  exit 1',
            'fi',
            'major="v${BASH_REMATCH[1]}"',
            'repo="repos/$GITHUB_REPOSITORY"',
            '# By hand, the version tags this commit: a version already released is refused.',
            'if [ "$GITHUB_EVENT_NAME" = workflow_dispatch ] && gh api "$repo/git/ref/tags/$VERSION" --silent 2>/dev/null; then',
            '  echo "::error title=Version exists::$VERSION is already tagged"',
            '  exit 1',
            'fi',
            `sbom="$RUNNER_TEMP/mlops-pipeline-$VERSION.cdx.json"`,
            `mv "${SBOM_FILE}" "$sbom"`,
            'gh release create "$VERSION" "$sbom" --target "$GITHUB_SHA" --title "$VERSION" --generate-notes',
            '# The major tag follows the newest release of its major version.',
            'if gh api "$repo/git/ref/tags/$major" --silent 2>/dev/null; then',
            '  gh api -X PATCH "$repo/git/refs/tags/$major" -f sha="$GITHUB_SHA" -F force=true --silent',
            'else',
            '  gh api -X POST "$repo/git/refs" -f ref="refs/tags/$major" -f sha="$GITHUB_SHA" --silent',
            'fi',
            'echo "$VERSION released; $major now names $GITHUB_SHA" >> "$GITHUB_STEP_SUMMARY"',
          ].join('\n'),
        },
      ],
    }),
  },
};
