package golang_test

import (
	"slices"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// A module root ships as go build names it, in the entrypoint and in the /app staging.
func TestModuleRootPlanName(t *testing.T) {
	s, err := spec.Load("hardened.yaml", []byte("language: go\nartifacts: [., ./cmd/tool]\n"))
	if err != nil {
		t.Fatal(err)
	}
	files := llb.Files{"go.mod": []byte("module example.com/greeter/v2\n\ngo 1.26\n")}
	linux := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	p, err := plan.New(s, files, linux, linux)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/app/greeter"}; !slices.Equal(p.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", p.Entrypoint, want)
	}
	if want := []string{"greeter", "tool"}; !slices.Equal(p.ArtifactNames, want) {
		t.Errorf("names %q, want %q", p.ArtifactNames, want)
	}
}
