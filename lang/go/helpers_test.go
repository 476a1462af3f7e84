package golang_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hardenedbuild/hardened/lang/langtest"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// The conversion tests' helpers (lang/langtest), by the names the tests had in llb/.
var (
	amd64        = langtest.Amd64
	arm64        = langtest.Arm64
	golangDigest = langtest.BuilderDigest
	staticDigest = langtest.BaseDigest

	load             = langtest.Load
	resolved         = langtest.Resolved
	baseImage        = langtest.BaseImage
	convert          = langtest.Convert
	assertCacheMount = langtest.AssertCacheMount
	findCopy         = langtest.FindCopy
	assertNoCopy     = langtest.AssertNoCopy
	copyInput        = langtest.CopyInput
)

// loadExample is examples/go's spec, with the language names only, and its go.mod.
func loadExample(t *testing.T) (*spec.Spec, llb.Files) {
	t.Helper()
	dir := filepath.Join(langtest.ExamplesDir(), "go")
	s := load(t, string(readExample(t, filepath.Join(dir, "hardened.yaml"))))
	return s, llb.Files{"go.mod": readExample(t, filepath.Join(dir, "go.mod"))}
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	dt, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}
