#!/usr/bin/env bash
# `make chaos`: the restore engine under the worst day's conditions, on the
# real stack, one scenario at a time (each on a fresh Temporal server, a
# fresh sandbox, lazarus-worker processes and live traffic to the other
# tenants). The Temporal server is TEMPORAL_SERVER:
#
#   postgres (default) temporal-server v1.29.1 on its own PostgreSQL cluster
#            (internal/tserver; make tools-server builds it), no Web UI
#   dev      the CLI's dev server on a SQLite file, with the Web UI
#
# The scenarios:
#
#   1 the worker SIGKILLed at random moments (5 times, one during a tenant
#     extraction, one during a media undelete), restarted each time
#   2 two workers on the same task queues, one killed for good
#   3 the Temporal server restarted mid-batch (same database)
#   4 faults at 10% errors and 300ms on every service, plus a 2-minute outage
#   5 a permanent failure: one site parks, the operator skips it
#   6 `lazarus batch cancel` mid-batch: clones removed, nothing unreported
#   7 two worker hosts (network namespaces, needs root) share the batch on
#     the server listening on their bridge; the host holding the clones is
#     killed (its worker and clones), the other makes them again and finishes
#
# It prints one row per scenario (sites restored, sites verified, rows
# duplicated, other tenants changed, the longest recovery wait, pass/fail),
# keeps it in out/chaos.txt, and exits non-zero if any scenario fails.
#
#   SCENARIOS (all; e.g. 1,4 or 2-3)  SITES (200)  FLEET (SITES*1.5)
#   CONCURRENCY (200)  SEED (1)  TIMEOUT (25m a batch)  MAX_RECOVERY (2m)
#   KILLS (5)  OUTAGE (2m)  OUTAGE_SERVICE (drawn)  SERVER_DOWN (10s)
#   CHAOS_STATE (.state/chaos)  KEEP=1 keeps each scenario's sandbox data
#   TEMPORAL_SERVER (postgres)
#
# It never touches ports 7233/8233 or another state folder: every port is
# free-picked, every file lives under CHAOS_STATE.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/bin:$PATH"
export CHAOS_STATE=${CHAOS_STATE:-$root/.state/chaos}
export TEMPORAL_SERVER=${TEMPORAL_SERVER:-postgres}
mkdir -p "$CHAOS_STATE" "$root/out"

go build -o bin/lazarus ./starter
go build -o bin/lazarus-worker ./worker/cmd/lazarus-worker
go build -o bin/lazarus-chaos ./chaos/cmd/lazarus-chaos
command -v temporal >/dev/null || { echo "chaos: temporal CLI missing: run make tools" >&2; exit 1; }
if [ "$TEMPORAL_SERVER" = postgres ]; then
  command -v temporal-server >/dev/null && command -v temporal-sql-tool >/dev/null ||
    { echo "chaos: temporal-server missing: run make tools-server (or TEMPORAL_SERVER=dev)" >&2; exit 1; }
fi

# The driver stops everything it started; if it was killed hard, stop
# what it left: the processes it recorded, then each scenario's sandbox.
cleanup() {
  local f pid i
  local stopped=()
  for f in "$CHAOS_STATE"/*/pids/*; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null && { echo "chaos: stopped leftover $(basename "$f") (pid $pid)"; stopped+=("$pid"); }
    rm -f "$f"
  done
  # Wait for them (up to 20 s, then SIGKILL) before stopping the Temporal
  # server's PostgreSQL: a temporal-server whose database goes first never
  # exits.
  for pid in "${stopped[@]}"; do
    for i in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null && echo "chaos: killed leftover pid $pid (no exit 20 s after SIGTERM)"
  done
  # A Temporal server's PostgreSQL (internal/tserver): SIGINT is the
  # postmaster's fast shutdown.
  for f in "$CHAOS_STATE"/*/temporal/pg/data/postmaster.pid; do
    [ -f "$f" ] || continue
    pid=$(head -n 1 "$f")
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || continue
    kill -INT "$pid" 2>/dev/null && echo "chaos: stopped leftover Temporal PostgreSQL (pid $pid)"
  done
  for f in "$CHAOS_STATE"/*/sandbox/platform.yaml; do
    [ -f "$f" ] || continue
    bin/lazarus sandbox down --state "$(dirname "$f")" >/dev/null 2>&1 || true
  done
  # Scenario 7's worker hosts (internal/netlab), as the driver listed
  # them: what still runs on each (SIGKILL), its namespace, the LAN's veth
  # ends and bridge (a namespace deleted right after SIGKILL can outlive
  # its processes, keeping its veth pair).
  local kind name
  for f in "$CHAOS_STATE"/*/lan.txt; do
    [ -f "$f" ] || continue
    while read -r kind name; do
      case $kind in
        netns)
          ip netns pids "$name" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
          ip netns del "$name" 2>/dev/null && echo "chaos: removed leftover worker host $name" ;;
        link) ip link del "$name" 2>/dev/null && echo "chaos: removed leftover interface $name" ;;
      esac
    done <"$f"
    rm -f "$f"
  done
}
trap cleanup EXIT

# The real server's own test (internal/tserver, tag realserver: not in
# make test, which never builds the server) before any scenario uses it.
if [ "$TEMPORAL_SERVER" = postgres ]; then
  go test -count=1 -tags realserver -run TestRealServerOnPostgres ./internal/tserver/ ||
    { echo "chaos: the real Temporal server failed its own test (internal/tserver)" >&2; exit 1; }
fi

set +e
bin/lazarus-chaos --state "$CHAOS_STATE" "$@" | tee "$root/out/chaos.txt"
rc=${PIPESTATUS[0]}
set -e
echo "chaos: table in out/chaos.txt; logs, recovery waits and verify reports under $CHAOS_STATE"
exit "$rc"
