#!/usr/bin/env bash
# Schemathesis for the server fuzz test (tests/serve/fuzz.test.ts) and
# scripts/fuzz-server.sh: it reads the server's own /openapi.json and sends
# generated requests, checking every answer against the document. Pinned, in a
# virtual environment of its own beside the other test peers (outside the work
# tree, found by tests/support/peers.ts). Runs again in well under a second once
# installed.
set -euo pipefail
# shellcheck source=lib/python-venv.sh
source "$(dirname "$0")/lib/python-venv.sh"

SCHEMATHESIS_VERSION=4.32.5

python_venv schemathesis schemathesis "schemathesis==$SCHEMATHESIS_VERSION"
