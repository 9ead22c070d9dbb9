# supportbot in a container: a static binary on distroless, as a non-root user.
#   docker build -t supportbot .
#   docker run --rm -p 8080:8080 supportbot
# Settings are environment variables (see .env.example): docker run --env-file .env ...

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# CGO off: the SQLite driver is pure Go, so the binary needs no C library.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/supportbot ./cmd/supportbot
# The exchange log's folder (SQLite, when DATABASE_URL is not set):
# distroless has no shell to make it later.
RUN mkdir -p /out/data

# static: CA certificates and time zones, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/supportbot /supportbot
COPY --from=build --chown=65532:65532 /out/data /data
# A numeric user, so Kubernetes' runAsNonRoot can check it.
USER 65532:65532
# DATA_DIR=./data, as in .env.example, is the same folder from here.
WORKDIR /
ENV DATA_DIR=/data
VOLUME /data
# LISTEN_ADDR's default, :8080: the chat page, the API, /healthz, /readyz, /metrics.
EXPOSE 8080
# No HEALTHCHECK: the image has no shell or HTTP client. Probe GET /healthz
# (up) and GET /readyz (the exchange log answers) from outside, as
# deploy/kubernetes.yaml does.
ENTRYPOINT ["/supportbot"]
CMD ["serve"]
