//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hardenedbuild/hardened"
	"github.com/hardenedbuild/hardened/integration/release"
)

// TestReleaseIndex builds the release's multi-platform frontend index with the release recipe (the code
// `make release-check` and the tag workflow run), builds a user's example with the frontend taken from that
// index, and builds the frontend again from the root hardened.yaml with that frontend: its binary must be the
// Dockerfile's, byte for byte, on amd64 and on a cross-compiled arm64.
func TestReleaseIndex(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	if err := st.PushSBOMScanner(ctx, repoRoot); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	o := release.Options{
		Root: repoRoot, Dist: t.TempDir(), Insecure: true, Buildx: st.Buildx, Log: &log,
		Repo: fmt.Sprintf("%s/hardenedbuild/release-e2e-%d", st.Registry, time.Now().UnixNano()),
	}
	digest, err := release.BuildIndex(ctx, o, release.ImageRefs(o.Repo, hardened.Version))
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(log.String(), 60))
	}
	images, err := release.CheckIndex(ctx, o.Repo+"@"+digest, true)
	if err != nil {
		t.Fatal(err)
	}
	// The moving major tag, as a user's # syntax= line names it.
	frontend := o.Repo + ":" + strings.SplitN(hardened.Version, ".", 2)[0]

	t.Run("a user's example", func(t *testing.T) {
		dir := copyExample(t, "go")
		out := build(t, st.Buildx(ctx, "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain",
			"--build-arg", "BUILDKIT_SYNTAX="+frontend, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir))
		if !strings.Contains(out, strings.TrimPrefix(frontend, st.Registry+"/")) {
			t.Errorf("the build did not name the frontend %s:\n%s", frontend, tail(out, 40))
		}
	})

	t.Run("hardened.yaml gives the Dockerfile's bytes", func(t *testing.T) {
		dest := t.TempDir()
		build(t, st.Buildx(ctx, "build", "-f", filepath.Join(repoRoot, "hardened.yaml"),
			"--build-arg", "BUILDKIT_SYNTAX="+frontend, "--platform", "linux/amd64,linux/arm64",
			"-o", "type=local,dest="+dest, repoRoot))
		for _, img := range images {
			if img.Platform != "linux/amd64" && img.Platform != "linux/arm64" {
				continue
			}
			got := readHost(t, filepath.Join(dest, strings.ReplaceAll(img.Platform, "/", "_"), "app", "hardened-frontend"))
			if !bytes.Equal(got, img.Binary) {
				t.Errorf("%s: hardened.yaml built %d bytes, the Dockerfile %d, and they differ", img.Platform, len(got), len(img.Binary))
			}
		}
	})
	for _, img := range images {
		t.Logf("%s %s %.1f MB compressed", img.Platform, img.Digest, float64(img.Compressed)/1e6)
	}
}

