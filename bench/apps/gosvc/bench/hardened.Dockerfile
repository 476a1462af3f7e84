# Benchmark B for bench/apps/gosvc: the best hand-written hardened Dockerfile, as for examples/go
# (multi-stage, cache mounts, go.mod first, static binary on distroless, numeric non-root user).
# Build from bench/apps/gosvc: docker buildx build -f bench/hardened.Dockerfile .
FROM docker.io/library/golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -buildid=" -o /out/server ./cmd/server

FROM gcr.io/distroless/static-debian13:nonroot
WORKDIR /app
COPY --from=build /out/server /app/server
ENV ADDR=:8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/app/server", "-check"]
ENTRYPOINT ["/app/server"]
