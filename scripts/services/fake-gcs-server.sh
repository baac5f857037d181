#!/usr/bin/env bash
# fake-gcs-server, the GCS emulator the storage, registry and data tests run the
# real @google-cloud/storage client (and dvc-gs) against. Built from its Go module
# at a pinned version, once, into a folder outside the work tree shared by every
# clone on the machine; tests/support/peers.ts finds it there. The first build
# takes a few minutes on two cores; a run after that returns at once.
set -euo pipefail

VERSION=v1.56.1

root="${MLOPS_PEERS_DIR:-$HOME/.cache/mlops-test}"
bin="$root/fake-gcs-server/bin"

if [ -x "$bin/fake-gcs-server" ] && [ "$(cat "$bin/.pinned" 2> /dev/null)" = "$VERSION" ]; then
  exit 0
fi

if ! command -v go > /dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    PATH="$PATH:/usr/local/go/bin"
  else
    echo "services: fake-gcs-server needs Go (https://go.dev/doc/install) to build" >&2
    exit 1
  fi
fi

echo "services: building fake-gcs-server $VERSION into $bin"
start=$(date +%s)
mkdir -p "$bin"
rm -f "$bin/.pinned"
GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/fsouza/fake-gcs-server@$VERSION"
echo "$VERSION" > "$bin/.pinned"
echo "services: fake-gcs-server $VERSION in $(($(date +%s) - start)) s"
