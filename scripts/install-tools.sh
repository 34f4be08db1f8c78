#!/usr/bin/env bash
# Installs, pinned, everything Lazarus's demo and tests need that a fresh
# machine lacks: the Temporal CLI (dev server + Web UI) and the versitygw S3
# server into .tools/bin (go install), PostgreSQL 15's server and pgBackRest
# from Debian's packages, and Chromium for the screenshot tests (WITH_CHROMIUM=0 to skip it). Safe to run again: it skips
# what is already there at the pinned version.
#
# `scripts/install-tools.sh server` (make tools-server, which make chaos
# needs) installs only the real Temporal server and its SQL schema tool,
# as temporal-server and temporal-sql-tool, for internal/tserver: opt-in,
# so that make test never waits for their build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

TEMPORAL_CLI_VERSION=v1.5.1   # keep in step with internal/tools/tools.go
VERSITYGW_VERSION=v1.8.0
TEMPORAL_SERVER_VERSION=v1.29.1   # the Server the CLI embeds (temporal --version): move them together

go_tool() {
  local name=$1 pkg=$2 ver=$3
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.version" 2>/dev/null)" = "$ver" ]; then
    return 0
  fi
  echo "install-tools: go install $pkg@$ver (a few minutes the first time)"
  GOBIN="$bin" go install "$pkg@$ver"
  echo "$ver" > "$bin/.$name.version"
}

# server_tools installs go.temporal.io/server's cmd/server and
# cmd/tools/sql in one go install (they share most packages) and names them
# as upstream's images do.
server_tools() {
  local ver=$TEMPORAL_SERVER_VERSION
  if [ -x "$bin/temporal-server" ] && [ -x "$bin/temporal-sql-tool" ] &&
    [ "$(cat "$bin/.temporal-server.version" 2>/dev/null)" = "$ver" ]; then
    return 0
  fi
  echo "install-tools: go install go.temporal.io/server (temporal-server, temporal-sql-tool) @$ver (about 10 minutes the first time)"
  local tmp
  tmp=$(mktemp -d)
  GOBIN="$tmp" go install "go.temporal.io/server/cmd/server@$ver" "go.temporal.io/server/cmd/tools/sql@$ver"
  mv "$tmp/server" "$bin/temporal-server"
  mv "$tmp/sql" "$bin/temporal-sql-tool"
  rmdir "$tmp"
  echo "$ver" > "$bin/.temporal-server.version"
}

if [ "${1:-}" = server ]; then
  server_tools
  echo "install-tools: temporal-server and temporal-sql-tool $TEMPORAL_SERVER_VERSION ready in $bin"
  exit 0
elif [ $# -gt 0 ]; then
  echo "install-tools: unknown argument $1 (only: server)" >&2
  exit 2
fi

apt_pkgs=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${LAZARUS_PG_BIN:-}" ]; then
  apt_pkgs+=(postgresql-15)
fi
# pgBackRest (Debian's 2.45 on bookworm, which supports PostgreSQL 15):
# the pgbackrest backup kind, `sandbox up --backups pgbackrest` and its
# tests. From apt like PostgreSQL, not a download: it links libpq, libssl,
# libxml2, libyaml, lz4 and zstd, which the package's dependencies bring.
if ! command -v pgbackrest >/dev/null 2>&1; then
  apt_pkgs+=(pgbackrest)
fi
# ip (iproute2): the test hosts of the two-hosts test and chaos scenario 7
# are network namespaces (internal/netlab).
if ! command -v ip >/dev/null 2>&1 && [ ! -x /usr/sbin/ip ] && [ ! -x /sbin/ip ]; then
  apt_pkgs+=(iproute2)
fi
if [ "${WITH_CHROMIUM:-1}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_pkgs+=(chromium)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-tools: need Debian packages ${apt_pkgs[*]}: run as root or install them" >&2
    exit 1
  fi
  echo "install-tools: apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  # Debian starts a default cluster on install; Lazarus runs its own.
  if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster 15 main stop 2>/dev/null || true; fi
fi

go_tool temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI_VERSION" &
t=$!
go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" &
v=$!
wait $t
wait $v
echo "install-tools: ready in $bin"
