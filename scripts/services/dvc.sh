#!/usr/bin/env bash
# DVC with its GCS plugin for the interop tests (tests/data/dvc-interop.test.ts):
# the real `dvc` reads what `mlops data` writes and the other way round. Pinned
# versions in a virtual environment of their own, kept outside the work tree so
# every clone on the machine shares one install; tests/support/peers.ts finds it
# at the same place. Runs again in well under a second once installed.
set -euo pipefail
# shellcheck source=lib/python-venv.sh
source "$(dirname "$0")/lib/python-venv.sh"

DVC_VERSION=3.67.1
DVC_GS_VERSION=3.1.0

python_venv dvc dvc "dvc==$DVC_VERSION" "dvc-gs==$DVC_GS_VERSION"
