#!/usr/bin/env bash
# The deploy tests start their own OpenSSH server (Debian's openssh-server) on
# 127.0.0.1 with a generated host key; this only makes sure the binaries are
# there. The system sshd is neither started nor enabled: the tests never need a
# daemon listening on port 22.
set -euo pipefail

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen > /dev/null; then
  echo "services: installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  # A policy-rc.d answering 101 keeps the package's postinst from starting the
  # daemon on machines with an init system (containers have none to start it).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssh-server openssh-client > /dev/null
fi

# sshd refuses to start without its privilege-separation directory.
install -d -m 0755 /run/sshd
