#!/usr/bin/env bash
# Makes a machine ready to run, test and demo sfsync: Java + Maven for the local Kafka broker, Python 3.11+,
# and the virtualenv .venv with the project installed editable with its dev extra.
# Idempotent and quiet: a second run with an unchanged pyproject.toml does nothing and takes well under a second.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

apt_install() {
  command -v apt-get >/dev/null && [[ $(id -u) == 0 ]] ||
    die "missing $*; install it with your package manager (apt-get needs root)"
  say "installing $* with apt-get"
  if [[ -z ${apt_updated:-} ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The broker runs on the JVM; Maven fetches its jars from Maven Central (deploy/local/pom.xml).
command -v java >/dev/null || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null || apt_install maven

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if [[ ! -x .venv/bin/python ]] || ! python_ok .venv/bin/python; then
  python=""
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
      python=$candidate
      break
    fi
  done
  [[ -n $python ]] || die "Python 3.11 or newer is needed (tried python3.11, python3.12, python3.13, python3)"
  rm -rf .venv
  say "creating .venv with $($python --version)"
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian splits ensurepip out of the interpreter package.
    rm -rf .venv
    apt_install "$(basename "$(readlink -f "$(command -v "$python")")")-venv"
    "$python" -m venv .venv
  fi
fi

# Reinstall only when the declared dependencies changed; the hash lives in the venv so a new venv reinstalls.
stamp=.venv/.sfsync-pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
  say "installing the project and its dev dependencies into .venv"
  pip=(.venv/bin/python -m pip --disable-pip-version-check --no-input -q)
  # pip's output (build-backend chatter included) is shown only when the install fails.
  out=$("${pip[@]}" install -e '.[dev]' 2>&1) || { printf '%s\n' "$out" >&2; die "pip install failed"; }
  echo "$want" >"$stamp"
fi
