# Benchmark C: the naive Dockerfile people start from: one stage on the full toolchain image.
# Build from examples/go: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/golang:1.26-trixie
WORKDIR /app
COPY . .
RUN go build -o server ./cmd/server
EXPOSE 8080
CMD ["./server"]
