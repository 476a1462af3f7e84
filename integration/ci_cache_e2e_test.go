//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	golang "github.com/hardenedbuild/hardened/lang/go"
)

// TestCIReusesTheGoDependencyLayer is the ci case of issue 26: export the cache to a registry, wipe
// the builder, make a one-line change that imports nothing new, rebuild from the registry cache. The
// standard library and the dependencies must come from the imported layer; only the list and the
// compile of the module's own code run again.
func TestCIReusesTheGoDependencyLayer(t *testing.T) {
	ctx := context.Background()
	dir := copyExample(t, "go")
	main := filepath.Join(dir, "cmd", "server", "main.go")
	// A source of its own, so nothing of other tests' builds can stand in for it.
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", fmt.Sprintf("hello from a hardened image %d", time.Now().UnixNano()), 1))
	spec := filepath.Join(dir, "hardened.yaml")
	cache := fmt.Sprintf("%s/hardened-test-cache:go-deps-%d", st.Registry, time.Now().UnixNano())
	deps := golang.DepsStep + " for linux/amd64"

	first := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "--cache-to", "type=registry,ref="+cache+",mode=max", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "a.tar"), dir))
	if !strings.Contains(first, deps) {
		t.Fatalf("the build has no step %q:\n%s", deps, tail(first, 40))
	}
	build(t, st.Buildctl(ctx, "prune", "--all"))
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", "hello from the next commit", 1))

	out := filepath.Join(t.TempDir(), "b.tar")
	log := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "--cache-from", "type=registry,ref="+cache, "-o", "type=oci,dest="+out, dir))
	if !stepImported(log, deps) {
		t.Errorf("the dependency layer was rebuilt after a one-line change:\n%s", tail(log, 60))
	}
	// The change reached the build: the list and the compile ran, so the reuse above is the layer's key at work.
	for _, name := range []string{golang.ListStep, "compile ./cmd/server for linux/amd64"} {
		if stepImported(log, name) {
			t.Errorf("%q was not run after a source change:\n%s", name, tail(log, 60))
		}
	}
	assertHardenedGo(t, only(t, ociImages(t, out)), "gcr.io/distroless/static-debian13:nonroot")
}

// TestSpecCommentRebuildsNothing: the spec decides the build, it does not feed it; a comment edited
// there leaves the source copy and the compile cached.
func TestSpecCommentRebuildsNothing(t *testing.T) {
	ctx := context.Background()
	dir := copyExample(t, "go")
	main := filepath.Join(dir, "cmd", "server", "main.go")
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", fmt.Sprintf("hello from a hardened image %d", time.Now().UnixNano()), 1))
	spec := filepath.Join(dir, "hardened.yaml")
	build(t, st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "a.tar"), dir))

	writeFile(t, spec, string(readHost(t, spec))+"# a comment, edited\n")
	log := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "b.tar"), dir))
	for _, name := range []string{"copy source", golang.ListStep, "compile ./cmd/server for linux/amd64"} {
		if !stepCached(log, name) {
			t.Errorf("%q ran again after a comment edited in the spec:\n%s", name, tail(log, 60))
		}
	}
}
