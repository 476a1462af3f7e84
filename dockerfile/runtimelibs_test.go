package dockerfile

import (
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// planLibs are the packages the frontend's runtime-libs stage installs for the spec on amd64: the
// plan's, which add the language's (Java's zlib1g) to the spec's runtime.libs.
func planLibs(t *testing.T, s *spec.Spec, files hllb.Files) []string {
	t.Helper()
	pl, err := plan.New(s, files, amd64, buildPlatform)
	if err != nil {
		t.Fatal(err)
	}
	return pl.RuntimeLibs
}
