//go:build integration

package integration

import (
	"regexp"
	"testing"
)

// prefetchStep matches the step that pulls the builder image while the base is pulled and scanned.
var prefetchStep = regexp.MustCompile(`(?m)^#(\d+) \[hardened\] pull (\S+) while the base is scanned\s*$`)

// assertBuilderPrefetched holds a build's plain progress to pulling the builder image (repo, pinned by digest)
// while the base is pulled and scanned, as a Dockerfile build pulls its stages' images at once: before, a cold
// build pulled the base, scanned it, and only then pulled the builder. The build must have run its steps
// (--no-cache), so that the scan takes a container's start.
func assertBuilderPrefetched(t *testing.T, log, repo string) {
	t.Helper()
	m := prefetchStep.FindStringSubmatch(log)
	if m == nil {
		t.Errorf("no step pulls the builder image while the base is scanned:\n%s", tail(log, 60))
		return
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(repo) + `:[^@]+@sha256:[0-9a-f]{64}$`).MatchString(m[2]) {
		t.Errorf("the pull step names %q, want %s pinned by digest", m[2], repo)
	}
	scan := regexp.MustCompile(`(?m)^#(\d+) scan \S+ for setuid/setgid files\s*$`).FindStringSubmatch(log)
	if scan == nil {
		t.Errorf("no base scan step in the progress:\n%s", tail(log, 60))
		return
	}
	// The builder image's own vertex shows when the first solve that needs it starts: before, that was the
	// final solve, after the scan; now it is the pull step, while the scan runs.
	pulled := regexp.MustCompile(`(?m)^#\d+ builder ` + regexp.QuoteMeta(m[2]) + `\s*$`).FindStringIndex(log)
	scanDone := regexp.MustCompile(`(?m)^#` + scan[1] + ` DONE `).FindStringIndex(log)
	if pulled == nil || scanDone == nil {
		t.Errorf("no builder image step, or the base scan step #%s never finished:\n%s", scan[1], tail(log, 60))
		return
	}
	if pulled[0] > scanDone[0] {
		t.Errorf("the builder image was first needed after the base scan (#%s) finished: they ran one after the other:\n%s", scan[1], tail(log, 60))
	}
}
