//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestInitBuilds runs `hardened init` on examples/python and examples/rust without their
// hardened.yaml and builds what it writes with docker buildx: a spec init writes must build.
func TestInitBuilds(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	for _, tc := range []struct {
		example    string
		entrypoint []string
	}{
		{"python", []string{"/app/.venv/bin/python", "/app/server.py"}},
		{"rust", []string{"/app/server"}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := copyExample(t, tc.example)
			spec := filepath.Join(dir, "hardened.yaml")
			if err := os.Remove(spec); err != nil {
				t.Fatal(err)
			}
			initCmd := exec.Command("go", "run", "./cmd/hardened", "init", dir)
			initCmd.Dir = repoRoot
			t.Logf("%s", build(t, initCmd))
			t.Logf("%s:\n%s", spec, readHost(t, spec))

			out := filepath.Join(t.TempDir(), "app.tar")
			build(t, st.Buildx(context.Background(), "build", "-f", spec,
				"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
			cf, err := only(t, ociImages(t, out)).ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cf.Config.Entrypoint, tc.entrypoint) || cf.Config.User != "65532:65532" {
				t.Errorf("entrypoint %q user %q, want %q as 65532:65532", cf.Config.Entrypoint, cf.Config.User, tc.entrypoint)
			}
		})
	}
}
