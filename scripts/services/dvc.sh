#!/usr/bin/env bash
# DVC with its GCS plugin for the interop tests (tests/data/dvc-interop.test.ts):
# the real `dvc` reads what `mlops data` writes and the other way round. Pinned
# versions in a virtual environment of their own, kept outside the work tree so
# every clone on the machine shares one install; tests/support/peers.ts finds it
# at the same place. Runs again in well under a second once installed.
set -euo pipefail

DVC_VERSION=3.67.1
DVC_GS_VERSION=3.1.0

root="${MLOPS_PEERS_DIR:-$HOME/.cache/mlops-test}"
venv="$root/dvc"
want="dvc==$DVC_VERSION dvc-gs==$DVC_GS_VERSION"

if [ -x "$venv/bin/dvc" ] && [ "$(cat "$venv/.pinned" 2> /dev/null)" = "$want" ]; then
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "services: installing $want into $venv"
start=$(date +%s)
# The venv's scripts name their interpreter by absolute path, so it is built in
# place; the .pinned stamp, written last, marks a finished install.
rm -rf "$venv"
mkdir -p "$root"
# Debian's python3 ships venv (and the ensurepip it needs) in a package of its own.
if ! python3 -m venv "$venv" > /dev/null 2>&1; then
  rm -rf "$venv"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq --no-install-recommends python3-venv > /dev/null
  python3 -m venv "$venv"
fi
# shellcheck disable=SC2086 # $want is two requirement words
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want
echo "$want" > "$venv/.pinned"
echo "services: $("$venv/bin/dvc" --version | head -1) in $(($(date +%s) - start)) s"
