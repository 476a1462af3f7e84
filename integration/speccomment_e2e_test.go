//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpecCommentRebuildsNothing: the spec decides the build, it does not feed it; a comment edited
// there leaves the source copy and the compile cached.
func TestSpecCommentRebuildsNothing(t *testing.T) {
	ctx := context.Background()
	dir := copyExample(t, "go")
	main := filepath.Join(dir, "cmd", "server", "main.go")
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", fmt.Sprintf("hello from a hardened image %d", time.Now().UnixNano()), 1))
	spec := filepath.Join(dir, "hardened.yaml")
	build(t, st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "a.tar"), dir))

	writeFile(t, spec, string(readHost(t, spec))+"# a comment, edited\n")
	log := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "b.tar"), dir))
	for _, name := range []string{"copy source", "compile ./cmd/server for linux/amd64"} {
		if !stepCached(log, name) {
			t.Errorf("%q ran again after a comment edited in the spec:\n%s", name, tail(log, 60))
		}
	}
}
