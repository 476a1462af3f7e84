# The local build stack (integration/stack): an in-process registry, buildkitd with the OCI worker, the buildx
# builder "hardened" and stand-in base images, all under .stack/ (caches under $HARDENED_CACHE, default
# ~/.cache/hardened). After `make stack-up`, `eval "$$(bin/stack env)"` points a shell's buildctl and docker buildx
# at it. Included from the root Makefile.
GO ?= go
STACK := bin/stack

.PHONY: tools runc stack-up stack-down stack-status frontend-image $(STACK)

# BuildKit and buildx, built from the versions pinned in tools/*/go.mod; rebuilt only when those change.
tools: bin/buildkitd bin/buildctl bin/docker-buildx

bin/buildkitd bin/buildctl &: tools/buildkit/go.mod tools/buildkit/go.sum
	cd tools/buildkit && $(GO) build -o ../../bin/ github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl
	touch bin/buildkitd bin/buildctl

bin/docker-buildx: tools/buildx/go.mod tools/buildx/go.sum
	cd tools/buildx && $(GO) build -o ../../bin/docker-buildx github.com/docker/buildx/cmd/buildx
	touch $@

# runc runs RUN steps; debootstrap makes the builder stand-ins. Both come from Debian.
runc:
	@PATH="$$PATH:/usr/sbin:/sbin"; command -v runc >/dev/null && command -v debootstrap >/dev/null || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runc debootstrap; }

# Always rebuilt (Go's build cache makes that cheap) so a running stack never lags behind the code.
$(STACK):
	$(GO) build -o $@ ./integration/cmd/stack

stack-up: tools runc $(STACK)
	$(STACK) up

stack-down: $(STACK)
	$(STACK) down

stack-status: $(STACK)
	$(STACK) status

# The frontend image from ./frontend.Dockerfile, pushed where "# syntax=ghcr.io/hardenedbuild/hardened:1" resolves.
frontend-image: stack-up
	$(STACK) build-frontend
