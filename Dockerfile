# Lazarus: the `lazarus` CLI, the `lazarus-worker` process and the sandbox
# platform's programs (PostgreSQL 15 server, versitygw) in one image.
#
#   docker build -t lazarus:local .
#   docker build --build-arg VERSION=v1.2.3 -t lazarus:v1.2.3 .
#
# The runtime base is Debian 12 (bookworm) slim rather than distroless or
# scratch because the worker needs PostgreSQL 15's server programs (initdb,
# pg_ctl, pg_basebackup) for its point-in-time clones, and Debian ships
# them. curl is added for the healthchecks (docker-compose.yml's worker
# calls /readyz on its metrics port); flock (util-linux, in the base image)
# lets compose replicas that share one network namespace pick distinct
# metrics ports (deploy/compose/worker-in-sandbox.sh).
#
# NOT RUN: no Docker engine runs on the machines this project is built on;
# this file has never been built there. The same Go build commands are
# what `make build` runs.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
RUN go build -ldflags "-X main.version=${VERSION}" -o /out/lazarus ./starter \
 && go build -o /out/lazarus-worker ./worker/cmd/lazarus-worker \
 && GOBIN=/out go install github.com/versity/versitygw/cmd/versitygw@v1.8.0

FROM debian:12.11-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      postgresql-15 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && command -v flock && command -v curl
COPY --from=build /out/ /usr/local/bin/
ENV LAZARUS_PG_BIN=/usr/lib/postgresql/15/bin \
    LAZARUS_VERSITYGW_BIN=/usr/local/bin/versitygw \
    LAZARUS_STATE=/state
VOLUME /state
WORKDIR /state
# Metrics (/metrics) and readiness (/readyz) with
# --metrics-address 0.0.0.0:9090.
EXPOSE 9090
ENTRYPOINT []
CMD ["lazarus-worker", "--platform", "/state/sandbox/platform.yaml", "--metrics-address", "0.0.0.0:9090"]
