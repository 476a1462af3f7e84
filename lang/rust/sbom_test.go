package rust

import (
	"slices"
	"testing"

	"github.com/hardenedbuild/hardened/internal/sbomtest"
)

func TestCargoLock(t *testing.T) {
	lock := "version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"server\"\nversion = \"0.1.0\"\ndependencies = [\n \"itoa\",\n]\n"
	var purls []string
	for _, p := range (Language{}).Packages(sbomtest.MapFS{}, sbomtest.MapFS{"src/Cargo.lock": {Data: []byte(lock)}}) {
		purls = append(purls, p.PURL)
		if p.Location != "/src/Cargo.lock" {
			t.Errorf("%s location %s", p.PURL, p.Location)
		}
	}
	if want := []string{"pkg:cargo/itoa@1.0.1", "pkg:cargo/server@0.1.0"}; !slices.Equal(purls, want) {
		t.Errorf("crates %q, want %q", purls, want)
	}
	if got := (Language{}).Packages(sbomtest.MapFS{}, sbomtest.MapFS{}); len(got) != 0 {
		t.Errorf("no lock, packages %v", got)
	}
}
