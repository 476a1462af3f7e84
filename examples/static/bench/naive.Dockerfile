# Benchmark C: the naive Dockerfile people start from for a prebuilt binary: a full distribution
# image. Build hello-server first (see ../README.md).
# Build from examples/static: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/debian:trixie
WORKDIR /app
COPY hello-server .
EXPOSE 8080
CMD ["./hello-server"]
