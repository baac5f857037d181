#!/usr/bin/env bash
# The deploy tests start their own OpenSSH server (Debian's openssh-server) on
# 127.0.0.1 with a generated host key; this only makes sure the binaries are
# there. The system sshd is neither started nor enabled: the tests never need a
# daemon listening on port 22.
set -euo pipefail

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen > /dev/null; then
  echo "services: installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101 keeps the package's postinst from starting the daemon on
  # machines that have an init system; containers without one do not start it anyway.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssh-server openssh-client > /dev/null
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
fi

# sshd refuses to start without its privilege-separation directory.
install -d -m 0755 /run/sshd
