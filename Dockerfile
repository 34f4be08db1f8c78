# Lazarus: the `lazarus` CLI, the `lazarus-worker` process and the sandbox
# platform's programs (PostgreSQL 15 server, versitygw) in one image.
#   docker build -t lazarus .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
RUN go build -o /out/lazarus ./starter \
 && go build -o /out/lazarus-worker ./worker/cmd/lazarus-worker \
 && GOBIN=/out go install github.com/versity/versitygw/cmd/versitygw@v1.8.0

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
ENV LAZARUS_PG_BIN=/usr/lib/postgresql/15/bin \
    LAZARUS_VERSITYGW_BIN=/usr/local/bin/versitygw \
    LAZARUS_STATE=/state
VOLUME /state
WORKDIR /state
ENTRYPOINT []
CMD ["lazarus-worker", "--platform", "/state/sandbox/platform.yaml"]
