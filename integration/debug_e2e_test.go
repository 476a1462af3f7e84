//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// TestDebugTarget: --target debug builds the same app on the distroless :debug-nonroot base,
// labelled as such, still non-root and without setuid bits, with a shell that works; the
// default target stays shell-free (TestGoExampleBuildx), and scratch has no debug variant.
func TestDebugTarget(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := filepath.Join(repoRoot, "examples", "go")
	spec := filepath.Join(dir, "hardened.yaml")
	out := filepath.Join(t.TempDir(), "debug.tar")
	build(t, st.Buildx(ctx, "build", "--target", "debug", "-f", spec, "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.Labels[hllb.LabelVariant] != "debug" {
		t.Errorf("label %s = %q, want debug", hllb.LabelVariant, c.Labels[hllb.LabelVariant])
	}
	if got := c.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/static-debian13:debug-nonroot" {
		t.Errorf("base.name = %q, want the debug-nonroot variant", got)
	}
	if got, want := c.Labels["org.opencontainers.image.base.digest"], registryDigest(t, "distroless/static-debian13:debug-nonroot"); got != want {
		t.Errorf("base.digest = %q, want the registry's %q", got, want)
	}
	if c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/app/server" {
		t.Errorf("user %q entrypoint %q: the debug image runs the app as the release image does", c.User, c.Entrypoint)
	}
	assertNoSetuid(t, img)

	// The shell runs, as the image's non-root user.
	shell, err := mutate.Config(img, withEntrypoint(cf.Config, "/busybox/sh", "-c", "id -u; ls /app"))
	if err != nil {
		t.Fatal(err)
	}
	r := runImage(t, shell)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("/busybox/sh in the debug image: %v\n%s", err, r.output)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("/busybox/sh did not exit")
	}
	if got := r.output.String(); !strings.Contains(got, "65532\n") || !strings.Contains(got, "server") {
		t.Errorf("the debug shell printed %q, want uid 65532 and the app", got)
	}

	scratch := copyExample(t, "go")
	writeFile(t, filepath.Join(scratch, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [./cmd/server]\nbase: scratch\n")
	fail := buildFails(t, st.Buildx(ctx, "build", "--target", "debug", "-f", filepath.Join(scratch, "hardened.yaml"), scratch))
	if !strings.Contains(fail, "hardened.yaml:4:7") || !strings.Contains(fail, "scratch has none") {
		t.Errorf("debug on scratch:\n%s", tail(fail, 15))
	}
	assertNoGoStack(t, fail)
	bogus := buildFails(t, st.Buildx(ctx, "build", "--target", "release", "-f", spec, dir))
	if !strings.Contains(bogus, `no target "release"`) {
		t.Errorf("an unknown target:\n%s", tail(bogus, 10))
	}
}

// withEntrypoint is cfg running args instead of its entrypoint and cmd.
func withEntrypoint(cfg v1.Config, args ...string) v1.Config {
	cfg.Entrypoint, cfg.Cmd = args, nil
	return cfg
}
