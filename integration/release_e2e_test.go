//go:build integration

package integration

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"os/exec"
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
// Dockerfile's, byte for byte, on amd64 and on a cross-compiled arm64. It builds three of the six platforms,
// the native one, arm64 and arm/v7 (the one with a variant), to fit CI's time; `make release-check` builds all.
func TestReleaseIndex(t *testing.T) {
	t.Parallel() // its own repository, snapshot and outputs; long, mostly waiting on compiles
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	if err := st.PushSBOMScanner(ctx, repoRoot); err != nil {
		t.Fatal(err)
	}
	// Both builds read one snapshot of HEAD: the working tree may change between them (others at work).
	src := t.TempDir()
	build(t, exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive HEAD | tar -x -C "$2"`, "sh", repoRoot, src))
	var log bytes.Buffer
	o := release.Options{
		Root: src, Dist: t.TempDir(), Insecure: true, Buildx: st.Buildx, Log: &log,
		Repo:      fmt.Sprintf("%s/hardenedbuild/release-e2e-%d", st.Registry, time.Now().UnixNano()),
		Platforms: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"},
	}
	digest, err := release.BuildIndex(ctx, o, release.ImageRefs(o.Repo, hardened.Version))
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(log.String(), 60))
	}
	images, err := release.CheckIndex(ctx, o.Repo+"@"+digest, true, o.Platforms)
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
		build(t, st.Buildx(ctx, "build", "-f", filepath.Join(src, "hardened.yaml"),
			"--build-arg", "BUILDKIT_SYNTAX="+frontend, "--platform", "linux/amd64,linux/arm64",
			"-o", "type=local,dest="+dest, src))
		for _, img := range images {
			if img.Platform != "linux/amd64" && img.Platform != "linux/arm64" {
				continue
			}
			got := readHost(t, filepath.Join(dest, strings.ReplaceAll(img.Platform, "/", "_"), "app", "hardened-frontend"))
			if !bytes.Equal(got, img.Binary) {
				t.Errorf("%s: hardened.yaml built %d bytes, frontend.Dockerfile %d, and they differ; build info:\n%s",
					img.Platform, len(got), len(img.Binary), buildInfoDiff(got, img.Binary))
			}
		}
	})
	for _, img := range images {
		t.Logf("%s %s %.1f MB compressed", img.Platform, img.Digest, float64(img.Compressed)/1e6)
	}
}

// buildInfoDiff is the lines of the two binaries' build info (go version -m) that differ, or both whole.
func buildInfoDiff(a, b []byte) string {
	ia, errA := buildinfo.Read(bytes.NewReader(a))
	ib, errB := buildinfo.Read(bytes.NewReader(b))
	if errA != nil || errB != nil {
		return fmt.Sprintf("unreadable: %v, %v", errA, errB)
	}
	la, lb := strings.Split(ia.String(), "\n"), strings.Split(ib.String(), "\n")
	var diff []string
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			diff = append(diff, "- "+x, "+ "+y)
		}
	}
	if len(diff) == 0 {
		return "the same (the difference is in the code)"
	}
	return strings.Join(diff, "\n")
}
