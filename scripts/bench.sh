#!/usr/bin/env bash
# `make bench`: Lazarus's speed and scale figures, gathered in out/bench.json
# (bench/summary; null for what was skipped) and printed.
#   1. the orchestration overhead: Lazarus running Restore 2 for SITES sites
#      with instant no-op activities vs a plain Temporal SDK program running
#      the same activities in the same shape on the same dev server
#      (bench/overhead; target ratio >= 0.97), with the batch runs' history
#      sizes, whether a history or payload limit was hit, and the worker's
#      peak RSS;
#   2. the PostgreSQL tenant extraction and clone figures (scripts/bench-pitr.sh);
#   3. the restore of SITES sites by `make demo` (restore phase only: sites
#      and activities per second, the ETA's error at 10%, the worker's peak
#      RSS, and each action's queue and run times), by running the demo.
#   SITES (883)  RUNS (1)  PROGRAMS (lazarus,plain: overhead programs; lazarus
#   skips the plain one)  BENCH_PITR (1)  BENCH_DEMO (1)
#   FLEET (the demo's fleet: 2000, or twice SITES when that is more)
#   e.g. make bench SITES=10000 BENCH_DEMO=0 PROGRAMS=lazarus
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/bin:$PATH"
SITES=${SITES:-883}
RUNS=${RUNS:-1}
PROGRAMS=${PROGRAMS:-lazarus,plain}
mkdir -p out
# Figures of an earlier run must not pass for this one's.
rm -f out/bench.json out/bench-overhead.json out/bench-pitr.json

echo "== orchestration overhead ($SITES sites, no-op activities)"
set +e
go run ./bench/overhead -sites "$SITES" -runs "$RUNS" -programs "$PROGRAMS" -json out/bench-overhead.json | tee out/bench-overhead.txt
overhead_rc=${PIPESTATUS[0]}
set -e

if [ "${BENCH_PITR:-1}" = 1 ]; then
  echo "== PostgreSQL tenant point-in-time restore"
  scripts/bench-pitr.sh -json out/bench-pitr.json | tee out/bench-pitr.txt
fi

demo=(-demo "" -waits "")
if [ "${BENCH_DEMO:-1}" = 1 ]; then
  echo "== restore of the demo's $SITES sites (restore phase only)"
  rm -f out/demo-summary.txt out/demo-waits.json
  FLEET=${FLEET:-$((SITES * 2 > 2000 ? SITES * 2 : 2000))}
  SITES=$SITES FLEET=$FLEET scripts/demo.sh >out/bench-demo.log 2>&1 || { tail -n 40 out/bench-demo.log; echo "bench: demo failed (log out/bench-demo.log)" >&2; exit 1; }
  demo=(-demo out/demo-summary.txt -waits out/demo-waits.json)
fi

echo
go run ./bench/summary -overhead out/bench-overhead.json -pitr out/bench-pitr.json "${demo[@]}" -out out/bench.json
if [ "$overhead_rc" != 0 ]; then
  echo "bench: the overhead bench failed (exit $overhead_rc; out/bench-overhead.txt)" >&2
  exit 1
fi
