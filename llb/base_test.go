package llb_test

import (
	"reflect"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// otherVersions are context files that ask for toolchains other than the examples' own.
var otherVersions = hllb.Files{
	"go.mod":              []byte("module example.com/x\n\ngo 1.24\n"),
	"package.json":        []byte(`{"name":"x","engines":{"node":">=22"}}`),
	".python-version":     []byte("3.11\n"),
	"rust-toolchain.toml": []byte("[toolchain]\nchannel = \"1.80\"\ntargets = [\"x86_64-unknown-linux-musl\"]\n"),
}

// The frontend resolves a base that needs no context files before it has read them: a language that says
// so must give the same base without them, and a language whose base reads them must say it does.
func TestBaseNeedsFilesIsHonest(t *testing.T) {
	early := 0
	for _, ex := range []string{"go", "go-cgo", "node", "python", "java", "rust", "static"} {
		t.Run(ex, func(t *testing.T) {
			s, files := loadDir(t, ex)
			if hllb.BaseNeedsFiles(s) {
				return
			}
			early++
			without, hasWithout, err := hllb.BaseImage(s, nil, amd64)
			if err != nil {
				t.Fatalf("without the context files: %v", err)
			}
			for name, files := range map[string]hllb.Files{"the example's": files, "other": otherVersions} {
				with, hasWith, err := hllb.BaseImage(s, files, amd64)
				if err != nil {
					t.Fatalf("with %s context files: %v", name, err)
				}
				if hasWith != hasWithout || !reflect.DeepEqual(with, without) {
					t.Errorf("the base is %+v (%v) with %s context files but %+v (%v) without them", with, hasWith, name, without, hasWithout)
				}
			}
		})
	}
	if early == 0 {
		t.Error("no example's base resolves before the context files are read")
	}
	// Their bases come from package.json's engines, pom.xml's release, Cargo.toml's target.
	for _, lang := range []string{"node", "java", "rust"} {
		if s := load(t, "language: "+lang+"\nartifacts: [./app]\n"); !hllb.BaseNeedsFiles(s) {
			t.Errorf("%s says its base needs no context files", lang)
		}
	}
}
