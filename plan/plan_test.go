package plan_test

import (
	"slices"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

func load(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte(yaml), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlanGo(t *testing.T) {
	s := load(t, "language: go\nartifacts: [./cmd/server]\nruntime:\n  libs: [libsqlite3-0]\n")
	p, err := plan.New(s, llb.Files{"go.mod": []byte("module x\n\ngo 1.26.1\n")}, amd64, amd64)
	if err != nil {
		t.Fatal(err)
	}
	if p.Builder.Ref != "docker.io/library/golang:1.26-trixie" || p.Base == nil || p.Base.Ref != "gcr.io/distroless/base-debian13:nonroot" {
		t.Errorf("builder %s, base %v", p.Builder.Ref, p.Base)
	}
	if !p.LibsOnBuilder || !slices.Equal(p.Entrypoint, []string{"/app/server"}) || p.AppDir || !p.ArtifactsInContext {
		t.Errorf("plan %+v", p)
	}
	if got := len(p.Images()); got != 2 {
		t.Errorf("%d images to lock, want the builder and the base", got)
	}
	if d, err := p.DebugBase(s); err != nil || d.Ref != "gcr.io/distroless/base-debian13:debug-nonroot" {
		t.Errorf("debug base %s, %v", d.Ref, err)
	}
}

func TestEarlyKeepsWhatTheSpecDecides(t *testing.T) {
	s := load(t, "language: go\nartifacts: [./cmd/server]\n")
	p := plan.Early(s, amd64, amd64)
	if p.Builder.Ref != "" || p.Base == nil || p.Base.Ref != "gcr.io/distroless/static-debian13:nonroot" {
		t.Errorf("early builder %q, base %v: want none (go.mod decides) and static", p.Builder.Ref, p.Base)
	}
	if _, err := plan.New(s, nil, amd64, amd64); err == nil {
		t.Error("a go plan without go.mod or version: no error")
	}
}

func TestScratchHasNoDebugBase(t *testing.T) {
	s := load(t, "language: static\nartifacts: [./tool]\nbase: scratch\n")
	p, err := plan.New(s, nil, amd64, amd64)
	if err != nil || p.Base != nil || p.Builder.Ref != "" || !p.ArtifactsAsIs {
		t.Fatalf("static on scratch: %+v, %v", p, err)
	}
	if _, err := p.DebugBase(s); err == nil {
		t.Error("scratch has a debug base")
	}
}

// The default base is the language's (spec.Defaults fills in none): static, or base (glibc) for
// cgo and runtime.libs; what the spec writes is kept. These were spec.TestDefaults' base cases.
func TestDefaultBaseIsTheLanguages(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "", "static"},
		{"cgo picks base", "cgo: true\n", "base"},
		{"libs pick base", "runtime:\n  libs: [libpq5]\n", "base"},
		{"cgo keeps cc", "cgo: true\nbase: cc\n", "cc"},
		{"scratch kept", "base: scratch\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, "language: go\nversion: \"1.26\"\nartifacts: [./cmd/server]\n"+tc.yaml)
			if s.Base != "" && s.Pos("base").Line == 0 {
				t.Errorf("spec base %q the file does not write", s.Base)
			}
			p, err := plan.New(s, nil, amd64, amd64)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p.Base != nil {
				got = p.Base.Ref
			}
			if want := "gcr.io/distroless/" + tc.want + "-debian13:nonroot"; (tc.want == "" && got != "") || (tc.want != "" && got != want) {
				t.Errorf("base %q, want %s", got, tc.want)
			}
		})
	}
}

// The plan's runtime libs are the spec's runtime.libs in its order, then what the language's runtime
// needs that the spec does not name (Java's linked JRE on Debian 12: zlib1g, which 13's cc has); none, no stage.
func TestRuntimeLibs(t *testing.T) {
	goMod := llb.Files{"go.mod": []byte("module x\n\ngo 1.26.1\n")}
	pom := llb.Files{"pom.xml": []byte("<project><properties><maven.compiler.release>21</maven.compiler.release></properties></project>")}
	for _, tc := range []struct {
		yaml  string
		files llb.Files
		want  []string
	}{
		{"language: go\nartifacts: [./cmd/server]\nruntime:\n  libs: [libsqlite3-0, libpq5]\n", goMod, []string{"libsqlite3-0", "libpq5"}},
		{"language: go\nartifacts: [./cmd/server]\n", goMod, nil},
		{"language: java\nartifacts: [a.jar]\n", pom, nil},
		{"language: java\ndebian: \"12\"\nartifacts: [a.jar]\n", pom, []string{"zlib1g"}},
		{"language: java\ndebian: \"12\"\nartifacts: [a.jar]\nruntime:\n  libs: [libpq5, libsqlite3-0]\n", pom, []string{"libpq5", "libsqlite3-0", "zlib1g"}},
		{"language: java\ndebian: \"12\"\nartifacts: [a.jar]\nruntime:\n  libs: [libpq5, zlib1g, libsqlite3-0]\n", pom, []string{"libpq5", "zlib1g", "libsqlite3-0"}},
		{"language: java\nartifacts: [a.jar]\nruntime:\n  jre: full\n", pom, nil},
	} {
		s := load(t, tc.yaml)
		p, err := plan.New(s, tc.files, amd64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.RuntimeLibs, tc.want) || (p.Libs == nil) != (tc.want == nil) {
			t.Errorf("%q: runtime libs %q on %v, want %q", tc.yaml, p.RuntimeLibs, p.Libs, tc.want)
		}
		if len(p.RuntimeLibs) > 0 && len(s.Runtime.Libs) > 0 && &p.RuntimeLibs[0] == &s.Runtime.Libs[0] {
			t.Errorf("%q: the plan's list is the spec's own slice", tc.yaml)
		}
	}
}
