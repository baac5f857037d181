#!/usr/bin/env bash
# Stage this project as the server part of a release: the package as it runs in
# production (package.json, the lockfile, bin/, pipeline/) with its production
# dependencies. `mlops deploy --server DEST` uploads it; files unchanged since the
# live release are linked on the VM rather than sent again.
set -euo pipefail
dest=${1:?usage: deploy/stage-server.sh DEST}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp="$dest.staging.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
cp -R "$root/package.json" "$root/package-lock.json" "$root/bin" "$root/pipeline" "$tmp/"
# Install scripts stay off: optional native add-ons that download at install time
# (tfjs-node) are then absent and the server falls back to WebAssembly.
(cd "$tmp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
rm -rf "$dest"
mv "$tmp" "$dest"
