//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerignoreHidesContextFiles: the files a language reads before converting (go.mod here) are read
// from the local context while dockerui reads its .dockerignore, and what the .dockerignore excludes is
// then left out, a !pattern re-including it, as the build context's own transfer does.
func TestDockerignoreHidesContextFiles(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	for name, tc := range map[string]struct{ ignore, want string }{
		"excluded": {"go.mod\n", "hardened.yaml:2:11: language: no go.mod at the root of the build context"},
		// read, so its go line picks the toolchain, which the local registry does not have
		"re-included": {"*\n!go.mod\n", "cannot resolve docker.io/library/golang:1.99-bookworm for linux/amd64"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.99\n")
			writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
			writeFile(t, filepath.Join(dir, ".dockerignore"), tc.ignore)
			spec := filepath.Join(dir, "hardened.yaml")
			writeFile(t, spec, "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [.]\n")
			out := buildFails(t, st.Buildx(ctx, "build", "-f", spec, dir))
			if !strings.Contains(out, tc.want) {
				t.Errorf("the build's error lacks %q:\n%s", tc.want, out)
			}
		})
	}
}
