# Benchmark C: the naive Dockerfile people start from: one stage on the full toolchain image.
# Build from bench/apps/rustsvc: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/rust:1-trixie
WORKDIR /app
COPY . .
RUN cargo build --release
EXPOSE 8080
CMD ["./target/release/server"]
