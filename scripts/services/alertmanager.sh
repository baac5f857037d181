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

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "services: installing alertmanager (Debian package prometheus-alertmanager)"
# policy-rc.d answering 101 keeps the package's postinst from starting the daemon.
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" > /dev/null
  as_root chmod +x "$policy"
fi
cleanup() { if [ "$had_policy" = 0 ]; then as_root rm -f "$policy"; fi; }
trap cleanup EXIT

# Other service scripts may be installing at the same time: wait for dpkg's lock.
# The package lists come first: a fresh machine has none, or stale ones.
apt_get() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}
apt_get update -qq
apt_get install -y -qq --no-install-recommends prometheus-alertmanager > /dev/null
command -v prometheus-alertmanager > /dev/null
command -v amtool > /dev/null
echo "services: $(prometheus-alertmanager --version 2>&1 | head -1)"
