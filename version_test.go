package hardened

import (
	"regexp"
	"testing"
)

// The release derives the image tags and the git tag from Version, so it must be a plain major.minor.patch.
func TestVersionIsSemver(t *testing.T) {
	if !regexp.MustCompile(`^[1-9][0-9]*\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`).MatchString(Version) {
		t.Fatalf("VERSION %q is not MAJOR.MINOR.PATCH", Version)
	}
}
