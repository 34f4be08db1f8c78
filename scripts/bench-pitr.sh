#!/usr/bin/env bash
# Tenant point-in-time restore figures: clone time (recovered and paused) and
# the extraction rate of pitr.Load next to a plain COPY TO STDOUT / COPY FROM
# STDIN of the same rows, as a ratio (target >= 0.8).
# Usage: scripts/bench-pitr.sh [-rows 200000] [-rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./platform/pitr/cmd/pitrbench "$@"
