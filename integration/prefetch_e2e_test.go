//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// prefetchStep matches the step that pulls the builder image while the base is pulled and scanned.
var prefetchStep = regexp.MustCompile(`(?m)^#(\d+) \[hardened\] pull (\S+) while the base is scanned\s*$`)

// TestBuilderPulledWhileBaseScanned: a build pulls the builder image at the same time as it pulls and scans the
// base (a Dockerfile build pulls its stages' images at once; before, a cold build pulled the base, scanned it,
// and only then pulled the builder). With --no-cache every step runs, so the scan takes a container's start and
// the pull step must have started before the scan finished. With --cache-from there is no such step: the
// builder's steps may all come from the imported cache, and its image must not be pulled for nothing.
func TestBuilderPulledWhileBaseScanned(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := filepath.Join(repoRoot, "examples", "go")
	spec := filepath.Join(dir, "hardened.yaml")

	log := build(t, st.Buildx(ctx, "build", "-f", spec, "--no-cache", "--progress", "plain", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "a.tar"), dir))
	m := prefetchStep.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no step pulls the builder image while the base is scanned:\n%s", tail(log, 60))
	}
	if !regexp.MustCompile(`^docker\.io/library/golang:[^@]+@sha256:[0-9a-f]{64}$`).MatchString(m[2]) {
		t.Errorf("the pull step names %q, want the builder pinned by digest", m[2])
	}
	scan := regexp.MustCompile(`(?m)^#(\d+) scan \S+ for setuid/setgid files\s*$`).FindStringSubmatch(log)
	if scan == nil {
		t.Fatalf("no base scan step in the progress:\n%s", tail(log, 60))
	}
	// The builder image's own vertex shows when the first solve that needs it starts: before, that was the final
	// solve, after the scan; now it is the pull step, while the scan runs.
	pulled := regexp.MustCompile(`(?m)^#\d+ builder ` + regexp.QuoteMeta(m[2]) + `\s*$`).FindStringIndex(log)
	scanDone := regexp.MustCompile(`(?m)^#` + scan[1] + ` DONE `).FindStringIndex(log)
	if pulled == nil || scanDone == nil {
		t.Fatalf("no builder image step, or the base scan step #%s never finished:\n%s", scan[1], tail(log, 60))
	}
	if pulled[0] > scanDone[0] {
		t.Errorf("the builder image was first needed after the base scan (#%s) finished: they ran one after the other:\n%s", scan[1], tail(log, 60))
	}

	cache := fmt.Sprintf("%s/hardened-test-cache:prefetch-%d", st.Registry, time.Now().UnixNano())
	log = build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "--cache-from", "type=registry,ref="+cache, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "b.tar"), dir))
	if m := prefetchStep.FindString(log); m != "" {
		t.Errorf("with --cache-from the build pulled the builder ahead (%q): its steps may all come from the cache:\n%s", m, tail(log, 60))
	}
}
