# Benchmark C for bench/apps/gosvc: the naive Dockerfile people start from, one stage on the toolchain image.
# Build from bench/apps/gosvc: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/golang:1.26-trixie
WORKDIR /app
COPY . .
RUN go build -o server ./cmd/server
EXPOSE 8080
CMD ["./server"]
