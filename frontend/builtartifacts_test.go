package frontend

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/spec"
)

// With a build script an artifact missing from the context may be its output (the node build
// checks it after the script); one that is there is still inspected, and without a script a
// missing one is refused.
func TestBuildOutputArtifacts(t *testing.T) {
	c := ctxFS{"/views": {fs.ModeDir, ""}, "/views/pipe": {fs.ModeNamedPipe, ""}}
	load := func(yaml string) *spec.Spec {
		s, err := spec.Load("hardened.yaml", []byte(yaml), spec.WithLanguages("node"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := load("language: node\nartifacts: [dist/server.js, dist, views]\nbuild: {script: build}\n")
	err := artifactProblems(t.Context(), s, c.tree(nil))
	errs, _ := spec.AsErrors(err)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "artifacts[2]: ") {
		t.Errorf("with a build script: %v, want only views' pipe", err)
	}
	s = load("language: node\nartifacts: [dist/server.js]\n")
	if err := artifactProblems(t.Context(), s, c.tree(nil)); err == nil || !strings.Contains(err.Error(), "not in the build context") {
		t.Errorf("without a build script: %v", err)
	}
}
