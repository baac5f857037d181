# Sourced by the scripts/services/*.sh that install a Python tool for the tests:
# `python_venv NAME BINARY REQUIREMENT...` installs the pinned requirements into a
# virtual environment of their own, outside the work tree so every clone on the
# machine shares one install (tests/support/peers.ts finds it at the same place),
# and returns at once when that exact pin is installed already.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

python_venv() {
  local name=$1 binary=$2
  shift 2
  local root="${MLOPS_PEERS_DIR:-$HOME/.cache/mlops-test}"
  local venv="$root/$name"
  local want="$*"
  if [ -x "$venv/bin/$binary" ] && [ "$(cat "$venv/.pinned" 2> /dev/null)" = "$want" ]; then
    return 0
  fi
  echo "services: installing $want into $venv"
  local start
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
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  echo "$want" > "$venv/.pinned"
  echo "services: $("$venv/bin/$binary" --version | head -1) in $(($(date +%s) - start)) s"
}
