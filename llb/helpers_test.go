package llb_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hardenedbuild/hardened/lang/langtest"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// The helpers llb's tests share with the languages' own (lang/langtest), by their names here.
var (
	amd64        = langtest.Amd64
	arm64        = langtest.Arm64
	golangDigest = langtest.BuilderDigest
	staticDigest = langtest.BaseDigest

	load              = langtest.Load
	loadChecked       = langtest.LoadChecked
	loadDir           = langtest.LoadDir
	resolved          = langtest.Resolved
	baseImage         = langtest.BaseImage
	baseNeedsFiles    = langtest.BaseNeedsFiles
	convert           = langtest.Convert
	assertCacheMount  = langtest.AssertCacheMount
	assertLockedCache = langtest.AssertLockedCache
	cacheMountAt      = langtest.CacheMountAt
	findCopy          = langtest.FindCopy
	assertNoCopy      = langtest.AssertNoCopy
	copyInput         = langtest.CopyInput
)

// loadExample is examples/go's spec, with the language names only, and its go.mod.
func loadExample(t *testing.T) (*spec.Spec, hllb.Files) {
	t.Helper()
	dir := filepath.Join(langtest.ExamplesDir(), "go")
	s := load(t, string(readExample(t, filepath.Join(dir, "hardened.yaml"))))
	return s, hllb.Files{"go.mod": readExample(t, filepath.Join(dir, "go.mod"))}
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	dt, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}
