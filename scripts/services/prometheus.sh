#!/usr/bin/env bash
# Prometheus for the serving tests: Debian's package, installed when missing.
# The tests start their own prometheus process on 127.0.0.1 with a temporary
# config and a free port, so the system service is neither needed nor started.
# Runs as root (containers) or as a user with sudo (GitHub's hosted runners).
set -euo pipefail

if command -v prometheus > /dev/null 2>&1 || [ -x /usr/bin/prometheus ]; then
  exit 0
fi

# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

echo "services: installing prometheus (Debian package)"
apt_install_quietly prometheus
command -v prometheus > /dev/null
echo "services: $(prometheus --version 2>&1 | head -1)"
