//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// TestDockerfileEject: the Dockerfile `hardened dockerfile --lock` prints for examples/go,
// built by BuildKit's own Dockerfile frontend, gives an image with the same guarantees as
// the hardened frontend's: numeric non-root user, exec-form entrypoint, no shell, no
// setuid/setgid bit, root-owned artifact, the locked base, and a binary that serves.
func TestDockerfileEject(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go")
	lockPath := filepath.Join(dir, lockfile.Filename)
	df, l := ejectLocked(t, dir)
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
	if want := registryDigest(t, "distroless/static-debian13:nonroot"); baseDigest != want {
		t.Fatalf("lock base = %s, want the registry's %s", baseDigest, want)
	}
	for _, want := range []string{"@" + baseDigest, `go mod download && GOPROXY=`, "RUN --network=none"} {
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
		if strings.HasPrefix(p, "/src") || strings.HasPrefix(p, "/go/") || strings.HasPrefix(p, "/out") || strings.HasPrefix(p, "/hardened") || strings.HasPrefix(p, "/deps") {
			t.Errorf("builder file %s (mode %o) reached the image", p, h.Mode)
		}
	}
	assertNoSetuid(t, img)
	assertServes(t, img)
	_ = os.Remove(lockPath)
}

// TestDockerfileEjectLanguages: for every other language's example, and go-cgo's runtime.libs,
// the Dockerfile `hardened dockerfile --lock` prints, built by BuildKit's own Dockerfile
// frontend, gives an image with the hardened frontend's guarantees (numeric non-root user,
// exec-form entrypoint, the locked base, no shell, no setuid/setgid bit, root-owned /app not
// writable by the runtime user) and the same /app and package records (status.d), file for file,
// as the frontend's image of the same source, with the same runtime.libs label; the app answers.
func TestDockerfileEjectLanguages(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	for _, tc := range []struct {
		example string
		serve   func(t *testing.T, img v1.Image)
	}{
		{"python", askHello("--port=%d")},
		{"node", askHello("--port=%d")},
		{"java", askHello("--port=%d")},
		{"rust", func(t *testing.T, img v1.Image) { assertRustServes(t, img, "hello from a hardened rust image") }},
		{"static", assertServes},
		{"go-cgo", func(t *testing.T, img v1.Image) {
			var got struct {
				Answer int    `json:"answer"`
				SQLite string `json:"sqlite"`
				UID    int    `json:"uid"`
			}
			askImage(t, img, "/", &got, "-addr", "127.0.0.1:%d")
			if got.Answer != 42 || got.SQLite == "" || got.UID != 65532 {
				t.Errorf("server answered %+v, want 42 from SQLite as uid 65532", got)
			}
		}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := copyExample(t, tc.example)
			if tc.example == "static" {
				buildStaticServer(t, dir, filepath.Join(dir, "hello-server"))
			}
			specPath := filepath.Join(dir, "hardened.yaml")
			df, l := ejectLocked(t, dir)
			dfPath := filepath.Join(t.TempDir(), "Dockerfile")
			writeFile(t, dfPath, string(df))

			out := filepath.Join(t.TempDir(), "df.tar")
			build(t, st.Buildx(ctx, "build", "-f", dfPath, "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
				"-o", "type=oci,dest="+out, dir))
			img := only(t, ociImages(t, out))
			frontOut := filepath.Join(t.TempDir(), "frontend.tar")
			build(t, st.Buildx(ctx, "build", "-f", specPath, "--build-arg", "SOURCE_DATE_EPOCH=1700000000",
				"-o", "type=oci,dest="+frontOut, dir))
			front := only(t, ociImages(t, frontOut))

			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			fcf, err := front.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			c, fc := cf.Config, fcf.Config
			if c.User != "65532:65532" || c.User != fc.User {
				t.Errorf("user = %q, want 65532:65532 as the frontend's %q", c.User, fc.User)
			}
			if !slices.Equal(c.Entrypoint, fc.Entrypoint) || len(c.Entrypoint) == 0 || !strings.HasPrefix(c.Entrypoint[0], "/") {
				t.Errorf("entrypoint = %q, want the frontend's exec form %q", c.Entrypoint, fc.Entrypoint)
			}
			if c.WorkingDir != fc.WorkingDir {
				t.Errorf("workdir = %q, want the frontend's %q", c.WorkingDir, fc.WorkingDir)
			}
			_, baseDigest, _ := l.Entry("linux/amd64", "base")
			if c.Labels[hllb.LabelBaseDigest] != baseDigest || fc.Labels[hllb.LabelBaseDigest] != baseDigest {
				t.Errorf("base.digest labels %q (Dockerfile) and %q (frontend), want the lock's %s",
					c.Labels[hllb.LabelBaseDigest], fc.Labels[hllb.LabelBaseDigest], baseDigest)
			}

			if c.Labels[hllb.LabelRuntimeLibs] != fc.Labels[hllb.LabelRuntimeLibs] {
				t.Errorf("runtime.libs label %q, the frontend's %q", c.Labels[hllb.LabelRuntimeLibs], fc.Labels[hllb.LabelRuntimeLibs])
			}

			got, want := flatFiles(t, img), flatFiles(t, front)
			for _, sh := range []string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/busybox"} {
				if _, ok := got[sh]; ok {
					t.Errorf("the image has a shell: %s", sh)
				}
			}
			// /app, and the package records runtime.libs writes.
			compared := func(p string) bool {
				return strings.HasPrefix(p, "/app/") || strings.HasPrefix(p, "/var/lib/dpkg/status.d/")
			}
			for p, h := range got {
				if !compared(p) {
					continue
				}
				if strings.HasPrefix(p, "/app/") && h.Uid != 0 || (h.Typeflag != tar.TypeSymlink && h.Mode&0o022 != 0) {
					t.Errorf("%s uid %d mode %o: /app must be root-owned and not writable by the runtime user", p, h.Uid, h.Mode)
				}
				f, ok := want[p]
				switch {
				case !ok:
					t.Errorf("%s is in the Dockerfile's image, not in the frontend's", p)
				case f.Typeflag != h.Typeflag || f.Mode != h.Mode || f.Size != h.Size || f.Linkname != h.Linkname:
					t.Errorf("%s: the Dockerfile's image has type %c mode %o size %d link %q, the frontend's type %c mode %o size %d link %q",
						p, h.Typeflag, h.Mode, h.Size, h.Linkname, f.Typeflag, f.Mode, f.Size, f.Linkname)
				}
			}
			for p := range want {
				if _, ok := got[p]; compared(p) && !ok {
					t.Errorf("%s is in the frontend's image, not in the Dockerfile's", p)
				}
			}
			assertNoSetuid(t, img)
			tc.serve(t, img)
			if t.Failed() {
				t.Logf("the Dockerfile:\n%s", df)
			}
		})
	}
}

// askHello asks the example app for a greeting, as the runtime user.
func askHello(portFlag string) func(t *testing.T, img v1.Image) {
	return func(t *testing.T, img v1.Image) {
		t.Helper()
		var got struct {
			Message string
			UID     int
		}
		askImage(t, img, "/?name=hardened", &got, portFlag)
		if got.UID != 65532 || got.Message != "hello, hardened" {
			t.Errorf("server answered %+v, want hello, hardened from uid 65532", got)
		}
	}
}

// ejectLocked locks the example in dir through the frontend (so the Dockerfile pins the same
// digests and packages) and returns the Dockerfile `hardened dockerfile --lock` prints for it.
func ejectLocked(t *testing.T, dir string) ([]byte, *lockfile.Lock) {
	t.Helper()
	l := lockExample(t, dir)
	specPath := filepath.Join(dir, "hardened.yaml")
	s, err := spec.Load(specPath, readHost(t, specPath), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dockerfile.ReadContextFiles(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	df, err := dockerfile.Generate(s, dockerfile.Options{Files: files, Lock: l})
	if err != nil {
		t.Fatal(err)
	}
	return df, l
}
