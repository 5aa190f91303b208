#!/usr/bin/env bash
# The one test command: bootstrap, a real Kafka broker, then ruff, mypy and pytest; a summary at the end.
#
#   scripts/test.sh                     everything under tests/
#   scripts/test.sh tests/unit -x -q    extra arguments go to pytest
#
# KAFKA_BOOTSTRAP_SERVERS set: that broker is used and none is started. Otherwise deploy/local/kafka.sh
# starts the project's broker, and it is stopped at the end only if this run started it.
# PYTEST_TIMEOUT (default 300 s) bounds each test, so a hang fails CI instead of stalling it.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

started_broker=""
names=()
results=()
times=()

stop_broker() {
  [[ -n $started_broker ]] && deploy/local/kafka.sh down || true
}
trap stop_broker EXIT
# Ctrl-C or a CI cancel becomes an exit, so the EXIT trap still stops the broker this run started.
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
  local name=$1
  shift
  printf '\n==> %s\n' "$name"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  names+=("$name")
  results+=("$rc")
  times+=($((SECONDS - start)))
  return "$rc"
}

summary() {
  local failed=0 i
  printf '\n==> summary\n'
  for i in "${!names[@]}"; do
    if [[ ${results[$i]} == 0 ]]; then
      printf '  ok    %-8s %4ss\n' "${names[$i]}" "${times[$i]}"
    else
      printf '  FAIL  %-8s %4ss  (exit %s)\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
      failed=1
    fi
  done
  printf '  total %ss\n' "$SECONDS"
  return "$failed"
}

start_broker() {
  if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
    echo "using the broker at KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
    return 0
  fi
  deploy/local/kafka.sh status >/dev/null || started_broker=1
  KAFKA_BOOTSTRAP_SERVERS=$(deploy/local/kafka.sh up) || return 1
  export KAFKA_BOOTSTRAP_SERVERS
  [[ -n $started_broker ]] || echo "using the broker that was already up at $KAFKA_BOOTSTRAP_SERVERS (left running)"
}

# Without the environment or a broker nothing else can run: stop here.
if ! step bootstrap bash scripts/bootstrap.sh || ! step broker start_broker; then
  summary
  exit 1
fi

step ruff .venv/bin/ruff check .
step mypy .venv/bin/mypy
# pytest exits 5 when it collected no tests: that is a failure too (CI must not pass on an empty suite).
step pytest .venv/bin/pytest --timeout="${PYTEST_TIMEOUT:-300}" "$@"

summary
