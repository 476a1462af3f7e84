# Benchmark B: the best hand-written hardened Dockerfile for bench/apps/rustsvc, what the guides teach
# (multi-stage, cargo's registry and target directory as cache mounts, --locked release build,
# distroless cc for glibc, numeric non-root user, exec-form entrypoint).
# No "# syntax" line: the builtin Dockerfile frontend builds it, as no registry serves dockerfile images here.
# Build from bench/apps/rustsvc: docker buildx build -f bench/hardened.Dockerfile .
FROM docker.io/library/rust:1-trixie AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --offline --bin server && \
    mkdir -p /out && cp target/release/server /out/server

FROM gcr.io/distroless/cc-debian13:nonroot
WORKDIR /app
COPY --from=build /out/server /app/server
ENV ADDR=0.0.0.0:8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/app/server", "--check"]
ENTRYPOINT ["/app/server"]
