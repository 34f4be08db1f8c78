#!/bin/sh
# Makes sure the namespace Lazarus runs in exists with its retention
# (30 days unless RETENTION, in hours, says otherwise): created when missing, its
# retention set when it exists (a namespace made by an older stack, or by
# the deprecated all-in-one setup image with its 1-day default, gets 30 days).
# Run by docker-compose.yml's temporal-namespace job in the
# temporalio/admin-tools image, once the server is healthy.
#
# It fails loudly: a server that does not become healthy, a describe that
# fails for any reason but "not found", a create or update that fails, or a
# retention that does not read back as asked all exit non-zero, and the
# services that wait for this job do not start.
set -eu

ns=${NAMESPACE:-default}
retention=${RETENTION:-720h}
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
hours=${retention%h}
case "$retention:$hours" in
  *h:[0-9]*) case "$hours" in *[!0-9]*) ok=no ;; *) ok=yes ;; esac ;;
  *) ok=no ;;
esac
if [ "$ok" != yes ]; then
  echo "temporal-namespace: RETENTION=$retention: give it in hours, like 720h" >&2
  exit 2
fi

# retry TRIES COMMAND...: runs COMMAND until it succeeds, TRIES times at
# most, 2 s apart; after the last failure, exits with its status.
retry() {
  tries=$1
  shift
  n=1
  until "$@"; do
    status=$?
    if [ "$n" -ge "$tries" ]; then
      echo "temporal-namespace: failed $tries times: $*" >&2
      exit "$status"
    fi
    n=$((n + 1))
    sleep 2
  done
}

retry 60 temporal operator cluster health

if out=$(temporal operator namespace describe --namespace "$ns" 2>&1); then
  echo "temporal-namespace: $ns exists; setting its retention to $retention"
  # A namespace created moments ago (by a previous run of this job) can be
  # "not found" by update until the frontend's namespace cache refreshes
  # (seen here against Server 1.29.1): a few tries.
  retry 15 temporal operator namespace update --namespace "$ns" --retention "$retention"
elif printf '%s' "$out" | grep -qi 'not found'; then
  echo "temporal-namespace: creating $ns with retention $retention"
  temporal operator namespace create --namespace "$ns" --retention "$retention"
else
  echo "temporal-namespace: cannot describe namespace $ns:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi

# Read it back: the retention in force, in seconds (720h = 2592000s).
want=$((hours * 3600))
got=$(temporal operator namespace describe --namespace "$ns" -o json |
  jq -r '.config.workflowExecutionRetentionTtl')
if [ "$got" != "${want}s" ]; then
  echo "temporal-namespace: $ns has retention $got, want ${want}s" >&2
  exit 1
fi
echo "temporal-namespace: $ns ready, retention $got"
