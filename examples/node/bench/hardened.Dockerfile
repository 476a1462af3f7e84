# Benchmark B: the best hand-written hardened Dockerfile for examples/node, what the guides teach
# (multi-stage, npm ci --omit=dev from the lock with npm's cache mounted, package files first,
# distroless nodejs, numeric non-root user, exec-form entrypoint).
# No "# syntax" line: the builtin Dockerfile frontend builds it, as no registry serves dockerfile images here.
# Build from examples/node: docker buildx build -f bench/hardened.Dockerfile .
FROM docker.io/library/node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund
COPY server.js healthcheck.js ./
COPY lib ./lib

FROM gcr.io/distroless/nodejs26-debian13:nonroot
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production PORT=8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/nodejs/bin/node", "/app/healthcheck.js"]
ENTRYPOINT ["/nodejs/bin/node", "/app/server.js"]
