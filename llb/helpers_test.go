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

// rustFiles is a project with one crate from crates.io, not vendored (lang/rust's tests have the same).
func rustFiles(extra ...string) hllb.Files {
	f := hllb.Files{
		"Cargo.toml": []byte("[package]\nname = \"app\"\nversion = \"0.1.0\"\nrust-version = \"1.80.1\"\n"),
		"Cargo.lock": []byte("version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = []byte(extra[i+1])
	}
	return f
}
