# Benchmark B: the best hand-written hardened Dockerfile for examples/static, what the guides teach
# (a prebuilt static binary on distroless static, root-owned and not writable, numeric non-root
# user, exec-form entrypoint). Build hello-server first (see ../README.md).
# No "# syntax" line: the builtin Dockerfile frontend builds it, as no registry serves dockerfile images here.
# Build from examples/static: docker buildx build -f bench/hardened.Dockerfile .
FROM gcr.io/distroless/static-debian13:nonroot
WORKDIR /app
COPY --chmod=0755 hello-server /app/hello-server
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/app/hello-server"]
