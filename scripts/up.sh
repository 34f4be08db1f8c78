#!/usr/bin/env bash
# `make up`: starts the Temporal dev server with its Web UI, the sandbox
# platform and the Lazarus worker, and leaves them running (pids and logs
# under $LAZARUS_STATE, default .state/). `make down` stops them.
#
#   TEMPORAL_PORT (7233)  UI_PORT (8233)  METRICS_PORT (9090)  LAZARUS_STATE (.state)
#   BACKUPS (local or pgbackrest): how a new sandbox's clusters are backed up (sandbox up --backups)
#
# The worker serves Prometheus metrics on 127.0.0.1:$METRICS_PORT/metrics
# and its readiness on /readyz (200 once every worker polls).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/bin:$PATH"
export LAZARUS_STATE=${LAZARUS_STATE:-$root/.state}
state=$LAZARUS_STATE
mkdir -p "$state/logs" "$state/pids"
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
UI_PORT=${UI_PORT:-8233}
METRICS_PORT=${METRICS_PORT:-9090}
metrics=127.0.0.1:$METRICS_PORT
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}
export LAZARUS_UI_ADDRESS=${LAZARUS_UI_ADDRESS:-http://localhost:$UI_PORT}
export LAZARUS_PLATFORM=${LAZARUS_PLATFORM:-$state/sandbox/platform.yaml}

if [ ! -x bin/lazarus ] || [ ! -x bin/lazarus-worker ]; then
  echo "up: building bin/lazarus and bin/lazarus-worker"
  go build -o bin/lazarus ./starter
  go build -o bin/lazarus-worker ./worker/cmd/lazarus-worker
fi
command -v temporal >/dev/null || { echo "up: temporal CLI missing: run make tools" >&2; exit 1; }

running() { [ -f "$state/pids/$1" ] && kill -0 "$(cat "$state/pids/$1")" 2>/dev/null; }

# start NAME CMD...: runs CMD in the background unless NAME already runs.
start() {
  local name=$1; shift
  if running "$name"; then
    echo "up: $name already running (pid $(cat "$state/pids/$name"))"
    return 0
  fi
  nohup "$@" >"$state/logs/$name.log" 2>&1 &
  echo $! >"$state/pids/$name"
  echo "up: $name started (pid $!, log $state/logs/$name.log)"
}

# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  local i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt $((secs * 4)) ]; then
      echo "up: $what not ready after ${secs}s; see $state/logs/" >&2
      return 1
    fi
    sleep 0.25
  done
}

# The search attributes must match workflows.SearchAttributeTypes
# (scripts_test.go checks it).
sa=(--search-attribute LazarusBatchID=Keyword --search-attribute LazarusSiteID=Keyword
    --search-attribute LazarusRunbook=Keyword --search-attribute LazarusStage=Keyword
    --search-attribute LazarusStatus=Keyword --search-attribute LazarusNeedsAttention=Bool
    --search-attribute LazarusDrillID=Keyword --search-attribute LazarusDrillResult=Keyword)
# history.maximumBufferedEventsBatch: a batch receives its sites' events
# while its workflow task runs; past 100 (the default) the server fails the
# task to flush them (FORCE_CLOSE_COMMAND) and the work is replayed, which
# under load let more pile up: 1000 leaves a slow task room to finish.
start temporal temporal server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
  --db-filename "$state/temporal.db" --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
  --dynamic-config-value system.enableActivityEagerExecution=true \
  --dynamic-config-value history.maximumBufferedEventsBatch=1000 --log-level warn "${sa[@]}"
wait_for "Temporal" 60 temporal operator cluster health --address "$TEMPORAL_ADDRESS"

start sandbox bin/lazarus sandbox up ${BACKUPS:+--backups "$BACKUPS"}
wait_for "sandbox" 180 grep -q "^running" "$state/logs/sandbox.log"

start worker bin/lazarus-worker --platform "$LAZARUS_PLATFORM" --metrics-address "$metrics"
# Ready when this worker (not another process on the port) answers /readyz.
worker_ready() { running worker && curl -sf "http://$metrics/readyz"; }
wait_for "worker" 30 worker_ready || { tail -n 3 "$state/logs/worker.log" >&2; exit 1; }

cat <<MSG
up: ready
  Temporal     $TEMPORAL_ADDRESS
  Web UI       $LAZARUS_UI_ADDRESS/namespaces/default/workflows
  metrics      http://$metrics/metrics (readiness: http://$metrics/readyz)
  platform     $LAZARUS_PLATFORM
  logs, pids   $state/logs, $state/pids
  try          bin/lazarus sandbox seed --sites 200 && bin/lazarus sandbox ids --kind site --limit 3
  stop         make down
MSG
