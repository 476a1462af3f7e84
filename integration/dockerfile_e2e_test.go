//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/dockerfile"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// TestDockerfileEject: the Dockerfile `hardened dockerfile --lock` prints for examples/go,
// built by BuildKit's own Dockerfile frontend, gives an image with the same guarantees as
// the hardened frontend's: numeric non-root user, exec-form entrypoint, no shell, no
// setuid/setgid bit, root-owned artifact, the locked base, and a binary that serves.
func TestDockerfileEject(t *testing.T) {
	ctx := context.Background()
	dir := copyExample(t, "go")
	specPath := filepath.Join(dir, "hardened.yaml")

	// Lock first, through the frontend, so the Dockerfile pins the same digests.
	build(t, st.Buildx(ctx, "build", "--target", "lock", "-f", specPath, "-o", "type=local,dest="+dir, dir))
	lockPath := filepath.Join(dir, lockfile.Filename)
	l, err := lockfile.Parse(lockPath, readHost(t, lockPath))
	if err != nil {
		t.Fatal(err)
	}

	s, err := spec.Load(specPath, readHost(t, specPath), hllb.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	df, err := dockerfile.Generate(s, dockerfile.Options{
		Files: hllb.Files{"go.mod": readHost(t, filepath.Join(dir, "go.mod"))},
		Lock:  l,
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(df), "# syntax=") {
		t.Errorf("the Dockerfile names a frontend; it must build with the builtin one")
	}
	dfPath := filepath.Join(dir, "Dockerfile")
	writeFile(t, dfPath, string(df))

	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(ctx, "build", "-f", dfPath, "--progress", "plain",
		"--build-arg", "SOURCE_DATE_EPOCH=1700000000", "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))

	_, baseDigest, _ := l.Entry("linux/amd64", "base")
	if want := registryDigest(t, "distroless/static-debian12:nonroot"); baseDigest != want {
		t.Fatalf("lock base = %s, want the registry's %s", baseDigest, want)
	}
	for _, want := range []string{"@" + baseDigest, `["go","mod","download"]`, "RUN --network=none"} {
		if !strings.Contains(log, want) {
			t.Errorf("the build log lacks %q:\n%s", want, tail(log, 40))
		}
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/app/server"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint = %q cmd = %q, want exec form [/app/server] and no cmd", c.Entrypoint, c.Cmd)
	}
	if c.WorkingDir != "/app" {
		t.Errorf("workdir = %q", c.WorkingDir)
	}
	if c.Labels[hllb.LabelBaseDigest] != baseDigest {
		t.Errorf("base.digest label = %q, want %s", c.Labels[hllb.LabelBaseDigest], baseDigest)
	}
	if c.Healthcheck == nil || !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/app/server", "-check"}) {
		t.Errorf("healthcheck = %+v", c.Healthcheck)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports = %v", c.ExposedPorts)
	}
	files := flatFiles(t, img)
	for _, sh := range []string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/busybox"} {
		if _, ok := files[sh]; ok {
			t.Errorf("the image has a shell: %s", sh)
		}
	}
	h := files["/app/server"]
	if h == nil {
		t.Fatalf("no /app/server in the image")
	}
	if h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("/app/server uid %d mode %o: the artifact must be root-owned and not writable by the runtime user", h.Uid, h.Mode)
	}
	for p, h := range files {
		if strings.HasPrefix(p, "/src") || strings.HasPrefix(p, "/go/") || strings.HasPrefix(p, "/out") {
			t.Errorf("builder file %s (mode %o) reached the image", p, h.Mode)
		}
	}
	assertNoSetuid(t, img)
	assertServes(t, img)
	_ = os.Remove(lockPath)
}
