//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCacheFromOnAFreshBuilder is CI on an ephemeral builder: export the cache to a
// registry, wipe the builder's state (cache mounts included), rebuild from the registry
// cache after a source change. The module download comes back from the import and the
// offline compile still finds its modules, although the cache mount they were
// downloaded into is empty on the fresh builder.
func TestCacheFromOnAFreshBuilder(t *testing.T) {
	ctx := context.Background()
	dir := copyExample(t, "go")
	main := filepath.Join(dir, "cmd", "server", "main.go")
	// A source of its own, so nothing of other tests' builds can stand in for it.
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", fmt.Sprintf("hello from a hardened image %d", time.Now().UnixNano()), 1))
	spec := filepath.Join(dir, "hardened.yaml")
	cache := fmt.Sprintf("%s/hardened-test-cache:go-%d", st.Registry, time.Now().UnixNano())

	build(t, st.Buildx(ctx, "build", "-f", spec, "--cache-to", "type=registry,ref="+cache+",mode=max", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "a.tar"), dir))
	build(t, st.Buildctl(ctx, "prune", "--all"))
	// The next commit: the compile must run, on modules the fresh builder never downloaded.
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", "hello from the next commit", 1))

	out := filepath.Join(t.TempDir(), "b.tar")
	log := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "--cache-from", "type=registry,ref="+cache, "-o", "type=oci,dest="+out, dir))
	if !stepImported(log, "go mod download, and stage the modules for the offline compile") {
		t.Errorf("the module download did not come from the imported cache:\n%s", tail(log, 40))
	}
	// The final stage may come from the imported cache whole: the base is not prepared ahead.
	if m := prepareStep.FindString(log); m != "" {
		t.Errorf("with --cache-from the build prepared the base ahead (%q):\n%s", m, tail(log, 40))
	}
	assertHardenedGo(t, only(t, ociImages(t, out)), "gcr.io/distroless/static-debian13:nonroot")
}

// stepImported reports whether the step name did not run: it was CACHED, or its layer was extracted from
// the imported cache (a step whose layer a later step needs shows the extraction, not CACHED).
func stepImported(log, name string) bool {
	if stepCached(log, name) {
		return true
	}
	re := regexp.MustCompile(`(?m)^#(\d+) (?:\[[^\]]*\] )?` + regexp.QuoteMeta(name) + `\s*$`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		if regexp.MustCompile(`(?m)^#` + m[1] + ` extracting sha256:`).MatchString(log) {
			return true
		}
	}
	return false
}
