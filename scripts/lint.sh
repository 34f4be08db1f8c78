#!/usr/bin/env bash
# gofmt, go vet and workflowcheck (workflows must be deterministic).
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go' ; git ls-files --others --exclude-standard '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
go vet -tags integration,realserver ./...
if [ -d workflows ] && ls workflows/*.go >/dev/null 2>&1; then
  go run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/...
fi
echo "lint: clean"
