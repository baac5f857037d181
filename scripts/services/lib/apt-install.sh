# Installs Debian packages for a peer the tests start themselves, without
# starting the package's own service. Sourced by scripts/services/*.sh.
# Runs as root (containers) or as a user with sudo (GitHub's hosted runners).

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install_quietly PACKAGE...: policy-rc.d answering 101 keeps the packages'
# postinst from starting a daemon; other service scripts may be installing at
# the same time, so dpkg's lock is waited for; the package lists come first (a
# fresh machine has none, or stale ones).
apt_install_quietly() {
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" > /dev/null
    as_root chmod +x "$policy"
  fi
  local status=0
  {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y -qq --no-install-recommends "$@" > /dev/null
  } || status=$?
  if [ "$had_policy" = 0 ]; then as_root rm -f "$policy"; fi
  return "$status"
}
