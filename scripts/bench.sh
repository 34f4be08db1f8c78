#!/usr/bin/env bash
# `make bench`: Lazarus's speed and scale figures.
#   1. the orchestration overhead: Lazarus running Restore 2 for SITES sites
#      with instant no-op activities vs a plain Temporal SDK program running
#      the same activities in the same shape on the same dev server
#      (bench/overhead; target ratio >= 0.9);
#   2. the PostgreSQL tenant extraction and clone figures (scripts/bench-pitr.sh);
#   3. the time to restore the SITES sites of `make demo` (restore phase only),
#      by running the demo (skip with BENCH_DEMO=0).
#   SITES (883)  RUNS (1)  BENCH_DEMO (1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/bin:$PATH"
SITES=${SITES:-883}
RUNS=${RUNS:-1}
mkdir -p out

echo "== orchestration overhead ($SITES sites, no-op activities)"
go run ./bench/overhead -sites "$SITES" -runs "$RUNS" | tee out/bench-overhead.txt

if [ -x scripts/bench-pitr.sh ]; then
  echo "== PostgreSQL tenant point-in-time restore"
  scripts/bench-pitr.sh | tee out/bench-pitr.txt
else
  echo "== PostgreSQL tenant point-in-time restore: scripts/bench-pitr.sh not found, skipped"
fi

if [ "${BENCH_DEMO:-1}" = 1 ]; then
  echo "== restore of the demo's $SITES sites (restore phase only)"
  SITES=$SITES scripts/demo.sh >out/bench-demo.log 2>&1 || { tail -n 40 out/bench-demo.log; echo "bench: demo failed (log out/bench-demo.log)" >&2; exit 1; }
  n=$(sed -n 's/^SITES=//p' out/demo-summary.txt)
  s=$(sed -n 's/^RESTORE_SECONDS=//p' out/demo-summary.txt)
  echo "restore phase: $n sites restored (Restore 2) and verified; restore took ${s}s" | tee out/bench-restore.txt
fi
