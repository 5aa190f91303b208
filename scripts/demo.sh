#!/usr/bin/env bash
# The demo: sets up everything (venv, Kafka jars, broker), starts the Salesforce simulator and a sync
# worker, publishes a dozen meetings and prints what was synced. Stops what it started.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
started_broker=""
if [[ -z ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
  deploy/local/kafka.sh status >/dev/null || started_broker=1
  KAFKA_BOOTSTRAP_SERVERS=$(deploy/local/kafka.sh up)
  export KAFKA_BOOTSTRAP_SERVERS
fi
trap '[[ -n $started_broker ]] && deploy/local/kafka.sh down >/dev/null || true' EXIT
mkdir -p .run
.venv/bin/python -m stack.demo
