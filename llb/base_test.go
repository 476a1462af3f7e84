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
			if baseNeedsFiles(s) {
				return
			}
			early++
			without, hasWithout, err := baseImage(s, nil, amd64)
			if err != nil {
				t.Fatalf("without the context files: %v", err)
			}
			for name, files := range map[string]hllb.Files{"the example's": files, "other": otherVersions} {
				with, hasWith, err := baseImage(s, files, amd64)
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
	// Without a version in the spec, their bases come from package.json's engines, pom.xml's release,
	// Cargo.toml's target (rust's also with a version: the target triple picks cc or static).
	for _, lang := range []string{"node", "java", "rust"} {
		if s := load(t, "language: "+lang+"\nartifacts: [./app]\n"); !baseNeedsFiles(s) {
			t.Errorf("%s says its base needs no context files", lang)
		}
	}
	if s := load(t, "language: rust\nversion: \"1.80\"\nartifacts: [app]\n"); !baseNeedsFiles(s) {
		t.Error("rust with a version says its base needs no context files")
	}
	// With one, node's and java's do not: the same base whatever package.json, pom.xml or build.gradle say.
	versioned := hllb.Files{
		"package.json": []byte(`{"name":"x","engines":{"node":">=22"}}`),
		"pom.xml":      []byte("<project><properties><maven.compiler.release>21</maven.compiler.release></properties></project>"),
	}
	for _, y := range []string{"language: node\nversion: \"22\"\nartifacts: [server.js]\n", "language: java\nversion: \"17\"\nartifacts: [target/app.jar]\n"} {
		s := load(t, y)
		if baseNeedsFiles(s) {
			t.Errorf("%q: the base needs the context files although the spec names the version", y)
			continue
		}
		without, _, err := baseImage(s, nil, amd64)
		if err != nil {
			t.Fatal(err)
		}
		with, _, err := baseImage(s, versioned, amd64)
		if err != nil || !reflect.DeepEqual(with, without) {
			t.Errorf("%q: the base is %+v (%v) with the files, %+v without", y, with, err, without)
		}
	}
}
