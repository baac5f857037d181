#!/usr/bin/env bash
# Install and start the real services the integration tests talk to (on 127.0.0.1
# only), when they are missing. Each scripts/services/*.sh handles one service and
# is safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
for script in services/*.sh; do
  [ -e "$script" ] || continue
  bash "$script"
done
