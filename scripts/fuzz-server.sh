#!/usr/bin/env bash
# The long fuzz run of the prediction server: `mlops serve` with a token, and
# schemathesis sending thousands of generated requests per operation from the
# server's own /openapi.json (tests/serve/fuzz.test.ts runs a short one).
#
#   scripts/fuzz-server.sh [--model artifacts/model] [--examples 2000] [--seed N]
#
# A seed is printed either way, so a failure can be run again. Exits with
# schemathesis' status: 0 when every answer is the one the document declares.
set -euo pipefail
cd "$(dirname "$0")/.."

model=artifacts/model
examples=2000
seed=$RANDOM$RANDOM
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --examples) examples="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "fuzz-server: unknown option $1 (--model, --examples, --seed)" >&2; exit 2 ;;
  esac
done
[ -f "$model/model.json" ] || {
  echo "fuzz-server: no model in $model; train one with \`mlops run\` or pass --model" >&2
  exit 2
}

bash scripts/services/schemathesis.sh
schemathesis="${MLOPS_PEERS_DIR:-$HOME/.cache/mlops-test}/schemathesis/bin/schemathesis"

work=$(mktemp -d)
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MLOPS_API_TOKEN=$token node bin/mlops.js serve --model "$model" --port "$port" \
  --log-level error > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true; rm -rf "$work"' EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 600); do
  curl -fsS "$base/readyz" > /dev/null 2>&1 && break
  kill -0 "$server" 2> /dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

echo "fuzz-server: $examples examples per operation against $base (seed $seed)"
# Its Hypothesis database goes in the temporary folder, not the work tree.
cd "$work"
"$schemathesis" run "$base/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
  --max-examples "$examples" --seed "$seed" --request-timeout 10
