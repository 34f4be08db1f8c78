#!/bin/sh
# Starts one lazarus-worker replica of docker-compose.yml's `worker` service.
#
# Every replica lives in the sandbox's network namespace
# (network_mode: service:sandbox), so they cannot all listen on :9090 for
# their metrics and readiness. Each replica takes the first port of
# 9090-9099 whose lock file on the shared /state volume it can lock
# (flock, held by this process and then by lazarus-worker for its whole
# life, released by the kernel when it exits: no stale claims, no race
# between replicas starting together). It records the port in
# /tmp/lazarus-metrics-port, in this container's own file system, for the
# healthcheck. Ten replicas at most; Prometheus scrapes sandbox:9090-9099.
#
# Once the workers have a network namespace of their own (a real platform,
# or a sandbox whose services and clones listen on a reachable address),
# drop network_mode, this script and the port range: every worker then
# listens on :9090 and Prometheus finds them by DNS (see
# deploy/prometheus/prometheus.yml).
set -eu

locks=${LAZARUS_STATE:-/state}/worker-metrics-ports
mkdir -p "$locks"
port=
for p in 9090 9091 9092 9093 9094 9095 9096 9097 9098 9099; do
  exec 9>"$locks/$p.lock"
  if flock -n 9; then
    port=$p
    break
  fi
done
if [ -z "$port" ]; then
  echo "worker: ports 9090-9099 are all taken by other replicas (at most 10 in the sandbox's network namespace)" >&2
  exit 1
fi
echo "$port" >/tmp/lazarus-metrics-port
echo "worker: metrics and readiness on :$port"
# fd 9 (the lock) stays open in lazarus-worker.
exec lazarus-worker --metrics-address "0.0.0.0:$port" "$@"
