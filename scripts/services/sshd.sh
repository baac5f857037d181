#!/usr/bin/env bash
# The deploy tests start their own OpenSSH server (Debian's openssh-server) on
# 127.0.0.1 with a generated host key; this only makes sure the binaries are
# there. The system sshd is neither started nor enabled: the tests never need a
# daemon listening on port 22. Runs as root (containers) or as a user with sudo
# (GitHub's hosted runners).
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen > /dev/null; then
  echo "services: installing openssh-server"
  # A policy-rc.d answering 101 keeps the package's postinst from starting the
  # daemon on machines with an init system (containers have none to start it).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" > /dev/null
    as_root chmod +x "$policy"
    trap 'as_root rm -f "$policy"' EXIT
  fi
  # Other service scripts may be installing at the same time: wait for dpkg's lock.
  # The package lists come first: a fresh machine has none, or stale ones.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq --no-install-recommends openssh-server openssh-client > /dev/null
fi

# sshd refuses to start without its privilege-separation directory.
if [ ! -d /run/sshd ]; then as_root install -d -m 0755 /run/sshd; fi
