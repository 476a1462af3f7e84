//go:build integration

package integration

import (
	"regexp"
	"testing"
)

// prepareStep matches the step that makes the base's first snapshot while the builder image is pulled.
var prepareStep = regexp.MustCompile(`(?m)^#(\d+) \[hardened\] prepare (\S+) while the builder is pulled\s*$`)

// listStep matches the self-check's step that lists the base's setuid/setgid files, which mounts the base.
var listStep = regexp.MustCompile(`(?m)^#(\d+) list the base's setuid/setgid files \(cleared on top of the image\)\s*$`)

// assertBaseUnpackedNotScanned holds a build's plain progress to the shape that lets a cold build pull the
// builder and the base at once, as a Dockerfile build does: no step scans the base before the build, and
// one step apart from the final stage unpacks the base (baseRepo, pinned by digest), so that it need not
// wait for the builder, as a Dockerfile's WORKDIR on its final stage does. That step is the listing of
// the base's setuid/setgid files (its bits are cleared on top of the image), or, when the build walks the
// whole image instead (the check report's mode, report), a prepare step; never both, which would cost
// every warm build a solve. How much sooner the build ends is the cold case's figure in make bench. The
// build must run its steps (--no-cache).
func assertBaseUnpackedNotScanned(t *testing.T, log, baseRepo string, report bool) {
	t.Helper()
	if m := regexp.MustCompile(`(?m)^#\d+ (scan \S+ for setuid/setgid files)\s*$`).FindStringSubmatch(log); m != nil {
		t.Errorf("a step scans the base before the build: %q:\n%s", m[1], tail(log, 60))
	}
	want, other := listStep, prepareStep
	if report {
		want, other = prepareStep, listStep
	}
	if m := other.FindString(log); m != "" {
		t.Errorf("the build ran %q, want only a step matching %s:\n%s", m, want, tail(log, 60))
	}
	m := want.FindStringSubmatch(log)
	if m == nil {
		t.Errorf("no step unpacks the base while the builder is pulled (want %s):\n%s", want, tail(log, 60))
		return
	}
	if !regexp.MustCompile(`(?m)^#\d+ (\[hardened\] prepare |base )` + regexp.QuoteMeta(baseRepo) + `:\S+@sha256:[0-9a-f]{64}`).MatchString(log) {
		t.Errorf("no step names %s pinned by digest:\n%s", baseRepo, tail(log, 60))
	}
	if !regexp.MustCompile(`(?m)^#` + m[1] + ` DONE `).MatchString(log) {
		t.Errorf("step #%s did not finish:\n%s", m[1], tail(log, 60))
	}
}
