//go:build integration

package integration

import (
	"regexp"
	"testing"
)

// assertImagesPulledTogether holds a cold build's plain progress to pulling the builder image (builderRepo) and
// the base (baseRepo), each pinned by digest, at once, as a Dockerfile build pulls its stages' images: the
// builder's vertex starts before the base's is DONE, and no step scans the base in between. Before, a build
// pulled the base, scanned it for setuid files in a step of its own, and only then started the builder; the
// bits are now cleared in the self-check step after the artifacts. The build must run its steps (--no-cache).
func assertImagesPulledTogether(t *testing.T, log, builderRepo, baseRepo string) {
	t.Helper()
	if m := regexp.MustCompile(`(?m)^#\d+ (scan \S+ for setuid/setgid files)\s*$`).FindStringSubmatch(log); m != nil {
		t.Errorf("a step scans the base before the build: %q:\n%s", m[1], tail(log, 60))
	}
	pinned := func(role, repo string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^#(\d+) ` + role + ` ` + regexp.QuoteMeta(repo) + `:[^@\s]+@sha256:[0-9a-f]{64}\s*$`)
	}
	builder := pinned("builder", builderRepo).FindStringSubmatchIndex(log)
	base := pinned("base", baseRepo).FindStringSubmatch(log)
	if builder == nil || base == nil {
		t.Errorf("no builder step for %s or no base step for %s, pinned by digest:\n%s", builderRepo, baseRepo, tail(log, 60))
		return
	}
	baseDone := regexp.MustCompile(`(?m)^#` + base[1] + ` DONE `).FindStringIndex(log)
	if baseDone == nil {
		t.Errorf("the base step #%s never finished:\n%s", base[1], tail(log, 60))
		return
	}
	if builder[0] > baseDone[0] {
		t.Errorf("the builder image was first needed after the base (#%s) was pulled: one after the other:\n%s", base[1], tail(log, 60))
	}
}
