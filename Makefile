# The one entry point for people and CI. `make demo` and `make test` are all a fresh
# Debian machine with Go needs; every tool is built from versions pinned in tools/*/go.mod.
SHELL := /bin/bash
GO ?= go
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: all build unit integration test demo vet bench clean schema fuzz release-check
all: build

include integration/stack.mk

build:
	$(GO) build -o bin/ ./cmd/hardened ./cmd/hardened-frontend

vet:
	$(GO) vet ./...

# Unit tests: no daemon, under a minute.
unit:
	$(GO) test -race -count=1 ./...

# Integration tests: a real buildkitd, registry and stand-in images (started if needed; the stack builds
# buildkitd, buildctl and buildx itself, from the tools cache when it has them, while the stand-ins build).
integration: runc
	@set -o pipefail; $(GO) test -count=1 -p 1 -parallel 2 -tags integration -timeout 60m -v ./integration/... 2>&1 | tee .integration.log \
		| grep --line-buffered -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+\S+_test.go|FAIL: the integration)' \
		|| { echo "--- integration log tail (.integration.log) ---"; tail -150 .integration.log; exit 1; }

# The stack's slow first start (tools, stand-in images: disk and network more than CPU) begins in the
# background and overlaps vet and the unit tests; the integration tests wait for it and attach.
test: runc
	@$(GO) build -o $(STACK) ./integration/cmd/stack && { $(STACK) up $${HARDENED_STACK_DIR:+--state "$$HARDENED_STACK_DIR"} > .stack-up.log 2>&1 & }
	@$(MAKE) --no-print-directory vet unit
	@$(MAKE) --no-print-directory integration

# Bring the stack up, build examples/go with docker buildx, and show what was hardened.
demo: tools runc
	$(GO) run ./integration/cmd/demo

# Benchmarks: hardened.yaml against hand-written and naive Dockerfiles, side by side on one
# buildkitd; writes BENCHMARKS.md. Never part of `make test`.
bench: tools runc
	$(GO) run ./bench

# Fuzzing: each target for FUZZTIME (seed corpora run in every `make unit` anyway). A new input is
# minimized for 1s, not the default 60s, during which a target runs nothing new.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./spec -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 1s
	$(GO) test ./llb -run '^$$' -fuzz FuzzConvert -fuzztime $(FUZZTIME) -fuzzminimizetime 1s
	$(GO) test ./audit/image -run '^$$' -fuzz FuzzLayer -fuzztime $(FUZZTIME) -fuzzminimizetime 1s

# Everything the release workflow (.github/workflows/release.yml) runs except pushing to ghcr.io and signing, on
# the local stack: the CLI binaries, the frontend image index and their checks (docs/releasing.md). With
# HARDENED_STACK_DIR it uses the stack already running there (a clone checked against another checkout's stack).
release-check: $(STACK)
	@[ -n "$$HARDENED_STACK_DIR" ] || $(MAKE) --no-print-directory stack-up
	$(GO) run ./integration/cmd/release --stack $${HARDENED_STACK_DIR:+--state "$$HARDENED_STACK_DIR"} --dist bin/dist

schema:
	$(GO) run ./cmd/hardened schema > docs/hardened.schema.json

clean:
	rm -rf bin
