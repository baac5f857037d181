#!/usr/bin/env bash
# Prometheus for the serving tests: Debian's package, installed when missing.
# The tests start their own prometheus process on 127.0.0.1 with a temporary
# config and a free port, so the system service is neither needed nor started.
set -euo pipefail

if command -v prometheus > /dev/null 2>&1 || [ -x /usr/bin/prometheus ]; then
  exit 0
fi

echo "services: installing prometheus (Debian package)"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d answering 101 keeps the package's postinst from starting the daemon.
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
fi
cleanup() { if [ "$had_policy" = 0 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# Other service scripts may be installing at the same time: wait for dpkg's lock.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_get update -qq
apt_get install -y -qq --no-install-recommends prometheus > /dev/null
command -v prometheus > /dev/null
echo "services: $(prometheus --version 2>&1 | head -1)"
