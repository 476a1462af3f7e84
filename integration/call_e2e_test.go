//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCallSubrequests: --call targets|outline|check answer as they do for a Dockerfile,
// and check reports spec problems at their line with the hardening policy's warnings.
func TestCallSubrequests(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := filepath.Join(repoRoot, "examples", "go")
	spec := filepath.Join(dir, "hardened.yaml")

	out := build(t, st.Buildx(ctx, "build", "--call", "targets", "-f", spec, dir))
	if !strings.Contains(out, "image (default)") || !strings.Contains(out, "debug") || !strings.Contains(out, "lock") {
		t.Errorf("targets:\n%s", tail(out, 10))
	}
	out = build(t, st.Buildx(ctx, "build", "--call", "outline", "-f", spec, dir))
	for _, want := range []string{"SOURCE_DATE_EPOCH", "BUILDKIT_CACHE_MOUNT_NS", "HTTPS_PROXY"} {
		if !strings.Contains(out, want) {
			t.Errorf("outline lacks %s:\n%s", want, tail(out, 15))
		}
	}
	if out := build(t, st.Buildx(ctx, "build", "--call", "check", "-f", spec, dir)); !strings.Contains(out, "Check complete") {
		t.Errorf("check of the example:\n%s", tail(out, 15))
	}

	bad := copyExample(t, "go")
	writeFile(t, filepath.Join(bad, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [./cmd/server]\nuser: root\n")
	out = buildFails(t, st.Buildx(ctx, "build", "--call", "check", "-f", filepath.Join(bad, "hardened.yaml"), bad))
	for _, want := range []string{"InvalidSpec", "hardened.yaml:4:7", ">>> user: root"} {
		if !strings.Contains(out, want) {
			t.Errorf("check of a bad spec lacks %q:\n%s", want, tail(out, 20))
		}
	}
	assertNoGoStack(t, out)

	weak := copyExample(t, "go")
	writeFile(t, filepath.Join(weak, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [./cmd/server]\nbase: scratch\n")
	out = buildFails(t, st.Buildx(ctx, "build", "--call", "check", "-f", filepath.Join(weak, "hardened.yaml"), weak))
	for _, want := range []string{"NoHealthcheck", "ScratchBase"} {
		if !strings.Contains(out, want) {
			t.Errorf("check of a weak spec lacks %s:\n%s", want, tail(out, 20))
		}
	}
}
