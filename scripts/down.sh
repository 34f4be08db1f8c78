#!/usr/bin/env bash
# `make down`: stops what `make up` started (worker, sandbox, Temporal), in
# that order, each with SIGTERM and a grace period.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${LAZARUS_STATE:-$root/.state}
stop() {
  local name=$1 grace=$2 f="$state/pids/$1"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    local i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt $((grace * 4)) ]; do sleep 0.25; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      echo "down: $name (pid $pid) ignored SIGTERM for ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
    echo "down: $name stopped"
  fi
  rm -f "$f"
}
stop traffic 10
stop worker 40
stop sandbox 120
stop temporal 20
exit 0
