//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"testing"
)

// TestReproducibleExamples: two --no-cache builds of each example whose own test does not already
// compare digests (go: TestReproducibleByDefault; python, java, rust: their example tests) give
// the same image, with no flag but the defaults.
func TestReproducibleExamples(t *testing.T) {
	t.Parallel() // two --no-cache builds compared with each other; what else runs beside them changes neither
	for _, ex := range []string{"node", "static", "go-cgo"} {
		t.Run(ex, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(repoRoot, "examples", ex)
			if ex == "static" {
				dir = copyExample(t, "static")
				buildStaticServer(t, dir, filepath.Join(dir, "hello-server"))
			}
			var digests []string
			for i := 0; i < 2; i++ {
				out := filepath.Join(t.TempDir(), "app.tar")
				build(t, st.Buildx(context.Background(), "build", "--no-cache", "-f", filepath.Join(dir, "hardened.yaml"), "-o", "type=oci,dest="+out, dir))
				digests = append(digests, ociDigest(t, out))
			}
			if digests[0] != digests[1] {
				t.Errorf("two --no-cache builds of examples/%s differ: %s and %s", ex, digests[0], digests[1])
			}
		})
	}
}
