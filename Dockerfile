# The hardened frontend image. Built with BuildKit's builtin Dockerfile frontend (no syntax line: that would pull
# docker/dockerfile from a registry). Locally: make frontend-image, which pushes it where
# "# syntax=ghcr.io/hardenedbuild/hardened:1" resolves through the stack's registry mirror.
FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -buildid=" -o /out/hardened-frontend ./cmd/hardened-frontend

FROM scratch
COPY --from=build /out/hardened-frontend /bin/hardened-frontend
USER 65532:65532
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/bin/hardened-frontend"]
