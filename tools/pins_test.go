package tools

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
)

// requires reads a go.mod's required versions.
func requires(t *testing.T, path string) map[string]string {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, dt, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range f.Require {
		out[r.Mod.Path] = r.Mod.Version
	}
	return out
}

// The daemon the tests run must be the BuildKit the frontend is compiled against, so
// a version bump moves both or fails here.
func TestBuildkitPinsAgree(t *testing.T) {
	main := requires(t, filepath.Join("..", "go.mod"))
	tools := requires(t, filepath.Join("buildkit", "go.mod"))
	const bk = "github.com/moby/buildkit"
	if main[bk] == "" || main[bk] != tools[bk] {
		t.Errorf("go.mod pins %s %q but tools/buildkit/go.mod pins %q; bump both", bk, main[bk], tools[bk])
	}
	if v := requires(t, filepath.Join("buildx", "go.mod"))["github.com/docker/buildx"]; v == "" {
		t.Error("tools/buildx/go.mod does not pin github.com/docker/buildx")
	}
}
