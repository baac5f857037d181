#!/usr/bin/env bash
# Schemathesis for the server fuzz test (tests/serve/fuzz.test.ts) and
# scripts/fuzz-server.sh: it reads the server's own /openapi.json and sends
# generated requests, checking every answer against the document. Pinned, in a
# virtual environment of its own beside the other test peers (outside the work
# tree, found by tests/support/peers.ts). Runs again in well under a second once
# installed.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

root="${MLOPS_PEERS_DIR:-$HOME/.cache/mlops-test}"
venv="$root/schemathesis"
want="schemathesis==$SCHEMATHESIS_VERSION"

if [ -x "$venv/bin/schemathesis" ] && [ "$(cat "$venv/.pinned" 2> /dev/null)" = "$want" ]; then
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
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$want"
echo "$want" > "$venv/.pinned"
echo "services: schemathesis $("$venv/bin/schemathesis" --version | awk '{print $NF}') in $(($(date +%s) - start)) s"
