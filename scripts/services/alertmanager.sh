#!/usr/bin/env bash
# Alertmanager (and amtool) for the monitoring tests: Debian's package, installed
# when missing. The tests start their own alertmanager process on 127.0.0.1 with
# a temporary config and a free port, so the system service is neither needed
# nor started. Runs as root (containers) or as a user with sudo (GitHub's hosted
# runners).
set -euo pipefail

if command -v prometheus-alertmanager > /dev/null 2>&1 && command -v amtool > /dev/null 2>&1; then
  exit 0
fi

# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

echo "services: installing alertmanager (Debian package prometheus-alertmanager)"
apt_install_quietly prometheus-alertmanager
command -v prometheus-alertmanager > /dev/null
command -v amtool > /dev/null
echo "services: $(prometheus-alertmanager --version 2>&1 | head -1)"
