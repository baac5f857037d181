#!/usr/bin/env bash
# The test command (`npm test`): installs what the suite needs when it is missing,
# then lint, format check, typecheck and the whole test suite. Ends with one line
# "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# A fresh clone has no node_modules; a changed lockfile means stale ones.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.lock-sum ] || [ "$(cat node_modules/.lock-sum)" != "$lock_sum" ]; then
  echo "test: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
  echo "$lock_sum" > node_modules/.lock-sum
fi

if [ -x scripts/services.sh ]; then scripts/services.sh; fi

echo "test: lint (eslint, prettier, tsc, dependency-cruiser, knip)"
npx eslint .
npx prettier --check . > /dev/null || { npx prettier --check .; exit 1; }
npx tsc --noEmit
npm run --silent lint:layers
npx knip --no-progress

mkdir -p .mlops
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.mlops/test-results.json || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".mlops/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
