# Benchmark C: the naive Dockerfile people start from: one stage on the full toolchain image.
# Build from examples/node: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/node:26-trixie-slim
WORKDIR /app
COPY . .
RUN npm install
EXPOSE 8080
CMD ["node", "server.js"]
