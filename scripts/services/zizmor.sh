#!/usr/bin/env bash
# zizmor, the static checker for GitHub Actions workflows, for
# tests/workflows/zizmor.test.ts: the generated workflows must carry no finding
# of medium severity or above. Pinned, in a virtual environment of its own beside
# the other test peers (outside the work tree, found by tests/support/peers.ts).
# Runs again in well under a second once installed.
set -euo pipefail
# shellcheck source=lib/python-venv.sh
source "$(dirname "$0")/lib/python-venv.sh"

ZIZMOR_VERSION=1.32.0

python_venv zizmor zizmor "zizmor==$ZIZMOR_VERSION"
