# syntax=docker/dockerfile:1
#
# LineraDB server image.
#
#   docker build -t lineradb/lineradb:latest .
#   docker run -p 5432:5432 -p 8080:8080 -v "$PWD/data:/var/lib/lineradb" lineradb/lineradb:latest
#
# The bind-mounted data directory must be writable by uid 10001
# (`sudo chown -R 10001:10001 data`). Configure with flags after the image
# name, LINERADB_* variables, or a lineradb.yaml mounted at
# /etc/lineradb/lineradb.yaml with LINERADB_CONFIG=/etc/lineradb/lineradb.yaml
# (docs/CONFIG.md).

# Build stage. The runtime is Debian bookworm, so build on bookworm too: a
# binary linked against a newer glibc would not start there. cgo is required
# (pg_query_go compiles PostgreSQL's parser); the golang image ships gcc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=1
# Dependencies first, so code changes do not re-download modules.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Every binary under cmd/: lineradb-server, lineradb-admin, lineradb-sim.
RUN mkdir -p /out && go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/...

# Runtime stage.
FROM debian:bookworm-slim
# ca-certificates for TLS, curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid so operators can chown bind mounts to it.
RUN groupadd --system --gid 10001 lineradb \
    && useradd --system --uid 10001 --gid lineradb --no-create-home \
       --home-dir /var/lib/lineradb --shell /usr/sbin/nologin lineradb \
    && mkdir -p /var/lib/lineradb /etc/lineradb \
    && chown lineradb:lineradb /var/lib/lineradb
COPY --from=build /out/ /usr/local/bin/

# The runbook's data directory; everything else keeps its default
# (PostgreSQL on 5432, Raft on 9090, HTTP and /metrics on 8080). The extra
# metrics listener on 9100 is opt-in: docker-compose.yml sets it.
ENV LINERADB_DATA_DIR=/var/lib/lineradb
USER lineradb:lineradb
WORKDIR /var/lib/lineradb
# 5432 PostgreSQL wire, 9090 Raft, 8080 HTTP API, health and metrics,
# 9100 metrics when observability.metrics.prometheus_port is set.
EXPOSE 5432 9090 8080 9100
VOLUME /var/lib/lineradb
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health || exit 1
# SIGTERM drains connections, hands over leadership and flushes; give it time
# (docker stop -t 30, stop_grace_period in docker-compose.yml).
STOPSIGNAL SIGTERM
ENTRYPOINT ["lineradb-server"]
