# syntax=docker/dockerfile:1
#
# The clickstream images, one target per binary: producer, pg-sink,
# search-sink, analytics and clickstream (the CLI). compose.yaml builds them;
# by hand:
#
#   docker build --target pg-sink -t clickstream-pg-sink .
#
# The context must be the repository root: every module's go.mod replaces its
# sibling modules with relative paths (../platform, ../../proto, ...), and
# go.work ties them together, so a build needs the whole tree.
#
# One build stage compiles all five static binaries at once, sharing the
# compile work; each target copies one of them onto an empty image with a
# non-root user, CA certificates and a /tmp. See docs/compose.md.

FROM golang:1.26.8 AS build
ENV GOTOOLCHAIN=local
WORKDIR /src

# The module files first, so that a change to the sources does not download
# the modules again.
COPY go.work go.work.sum ./
COPY proto/go.mod proto/go.sum proto/
COPY sql/go.mod sql/go.sum sql/
COPY services/platform/go.mod services/platform/go.sum services/platform/
COPY services/producer/go.mod services/producer/go.sum services/producer/
COPY services/pg-sink/go.mod services/pg-sink/go.sum services/pg-sink/
COPY services/search-sink/go.mod services/search-sink/go.sum services/search-sink/
COPY services/analytics/go.mod services/analytics/go.sum services/analytics/
COPY services/clickstream/go.mod services/clickstream/go.sum services/clickstream/
RUN go mod download

COPY proto/ proto/
COPY sql/ sql/
COPY services/ services/
ARG VERSION=dev
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X github.com/clickstream/clickstream/services/clickstream/internal/cli.version=${VERSION}" \
        -o /out/ \
        ./services/producer ./services/pg-sink ./services/search-sink ./services/analytics ./services/clickstream

# What the final images hold besides the binary: a passwd entry for the
# non-root user, CA certificates for TLS to managed services, a writable /tmp
# and the working directory /app, where compose mounts data/.
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/app/data && \
    chmod 1777 /rootfs/tmp && \
    echo 'nonroot:x:65532:65532:nonroot:/app:/sbin/nologin' >/rootfs/etc/passwd && \
    echo 'nonroot:x:65532:' >/rootfs/etc/group && \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/

FROM scratch AS runtime
COPY --from=build /rootfs/ /
USER 65532:65532
WORKDIR /app

FROM runtime AS producer
COPY --from=build /out/producer /usr/local/bin/producer
ENTRYPOINT ["/usr/local/bin/producer"]

FROM runtime AS pg-sink
COPY --from=build /out/pg-sink /usr/local/bin/pg-sink
ENTRYPOINT ["/usr/local/bin/pg-sink"]

FROM runtime AS search-sink
COPY --from=build /out/search-sink /usr/local/bin/search-sink
ENTRYPOINT ["/usr/local/bin/search-sink"]

FROM runtime AS analytics
COPY --from=build /out/analytics /usr/local/bin/analytics
ENTRYPOINT ["/usr/local/bin/analytics"]

FROM runtime AS clickstream
COPY --from=build /out/clickstream /usr/local/bin/clickstream
ENTRYPOINT ["/usr/local/bin/clickstream"]
