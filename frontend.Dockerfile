# The hardened frontend image. Built with BuildKit's builtin Dockerfile frontend (no syntax line: that would pull
# docker/dockerfile from a registry); this is the bootstrap path, and hardened.yaml builds the same binary bytes
# with the frontend itself (integration/release_e2e_test.go). Locally: make frontend-image (one platform) or
# make release-check (the release index, every platform). Not named Dockerfile: in the Go module zip that
# collides with the dockerfile/ package case-insensitively, and `go install ...@latest` would refuse the module.
#
# Every platform is cross-compiled on the build platform: the build stage never runs emulated.
FROM --platform=$BUILDPLATFORM docker.io/library/golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH TARGETVARIANT
# The same flags and environment as the frontend's own Go build (llb/golang.go), so both give the same bytes;
# the version comes from the VERSION file (embedded), never from a flag.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath -ldflags="-s -w -buildid=" -o /out/ ./cmd/hardened-frontend ./cmd/hardened-probe

FROM scratch
# One layer (the release holds one per platform): the frontend and, beside it, the healthcheck.http probe
# that builds copy from here into their final stage.
COPY --from=build /out/hardened-frontend /out/hardened-probe /bin/
USER 65532:65532
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/bin/hardened-frontend"]
