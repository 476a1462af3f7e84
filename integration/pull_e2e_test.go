//go:build integration

package integration

import (
	"regexp"
	"strings"
	"testing"
)

// prepareStep matches the step that makes the base's first snapshot while the builder image is pulled.
var prepareStep = regexp.MustCompile(`(?m)^#(\d+) \[hardened\] prepare (\S+) while the builder is pulled\s*$`)

// assertBasePreparedNotScanned holds a build's plain progress to the shape that lets a cold build pull the
// builder and the base at once, as a Dockerfile build does: no step scans the base before the build (the
// setuid/setgid bits are cleared in the self-check step, after the artifacts), and one step makes the base's
// first snapshot (baseRepo, pinned by digest) apart from the final stage, so that it need not wait for the
// builder, as a Dockerfile's WORKDIR on its final stage does. How much sooner the build ends is the cold
// case's figure in make bench; the order of steps here depends on what the builder already holds. The build
// must run its steps (--no-cache).
func assertBasePreparedNotScanned(t *testing.T, log, baseRepo string) {
	t.Helper()
	if m := regexp.MustCompile(`(?m)^#\d+ (scan \S+ for setuid/setgid files)\s*$`).FindStringSubmatch(log); m != nil {
		t.Errorf("a step scans the base before the build: %q:\n%s", m[1], tail(log, 60))
	}
	m := prepareStep.FindStringSubmatch(log)
	if m == nil {
		t.Errorf("no step prepares the base while the builder is pulled:\n%s", tail(log, 60))
		return
	}
	if !strings.HasPrefix(m[2], baseRepo+":") || !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(m[2]) {
		t.Errorf("the prepare step names %q, want %s pinned by digest", m[2], baseRepo)
	}
	if !regexp.MustCompile(`(?m)^#` + m[1] + ` DONE `).MatchString(log) {
		t.Errorf("the prepare step #%s did not finish:\n%s", m[1], tail(log, 60))
	}
}
