//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRuntimeFilesGo builds a Go service that reads config/app.yml and templates/index.html from its
// working directory: runtime.files ship them at /app/<path>, root-owned, 0644 (directories 0755), at
// the epoch, without what .dockerignore excludes, and two --no-cache builds give one digest. The same
// project without runtime.files fails its test: the test step is what would catch a missing file.
// A path that is not in the context fails before the build, at its position.
func TestRuntimeFilesGo(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "configfiles")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/go/testdata/configfiles"))); err != nil {
		t.Fatal(err)
	}
	// Group- and world-writable in the context, a sticky directory: the image gets 0644 and 0755.
	if err := os.Chmod(filepath.Join(dir, "config", "app.yml"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "config"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	buildArgs := func() []string {
		return []string{"build", "--no-cache", "--progress", "plain", "-f", filepath.Join(dir, "hardened.yaml"),
			"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest=" + filepath.Join(t.TempDir(), "app.tar"), dir}
	}
	var digests []string
	for range 2 {
		args := buildArgs()
		build(t, st.Buildx(context.Background(), args...))
		out := strings.TrimPrefix(args[len(args)-2], "type=oci,dest=")
		img := only(t, ociImages(t, out))
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
		if len(digests) > 1 {
			break
		}
		files := flatFiles(t, img)
		for p, mode := range map[string]int64{"/app/config": 0o755, "/app/config/app.yml": 0o644, "/app/templates": 0o755, "/app/templates/index.html": 0o644} {
			h := files[p]
			if h == nil {
				t.Errorf("the image has no %s", p)
				continue
			}
			if h.Mode&0o7777 != mode || h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s mode %o owner %d:%d, want %o root:root", p, h.Mode&0o7777, h.Uid, h.Gid, mode)
			}
		}
		assertEpoch(t, files, "/app", "/app/configsvc", "/app/config", "/app/config/app.yml", "/app/templates/index.html")
		if files["/app/config/local.override.yml"] != nil {
			t.Error("/app/config/local.override.yml is in the image: .dockerignore excludes it")
		}
		var got struct {
			UID      int
			Greeting string
			Page     string
		}
		askImage(t, img, "/healthz", &got, "-port=%d")
		if got.UID != 65532 || got.Greeting != "hello from config" || !strings.Contains(got.Page, "served from templates") {
			t.Errorf("server answered %+v, want uid 65532 with config/app.yml's greeting and the template", got)
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two --no-cache builds differ: %s and %s", digests[0], digests[1])
	}

	spec := readHost(t, filepath.Join(dir, "hardened.yaml"))
	writeSpec := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "hardened.yaml"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeSpec(strings.Replace(string(spec), "files: [config, templates/index.html]", "files: [config, templates/missing.html]", 1))
	log := buildFails(t, st.Buildx(context.Background(), buildArgs()...))
	if want := `hardened.yaml:6:19: runtime.files[1]: "templates/missing.html" is not in the build context`; !strings.Contains(log, want) {
		t.Errorf("a missing runtime.files path: no %q in:\n%s", want, tail(log, 20))
	}
	writeSpec(strings.Replace(string(spec), "  files: [config, templates/index.html]\n", "  writable: [/tmp]\n", 1))
	log = buildFails(t, st.Buildx(context.Background(), buildArgs()...))
	if want := "test: it exited with code 1 before GET"; !strings.Contains(log, want) {
		t.Errorf("without runtime.files: no %q in:\n%s", want, tail(log, 20))
	}
}

// TestRuntimeFilesDockerfileEject builds what `hardened dockerfile` writes for the same project with
// BuildKit's builtin Dockerfile frontend: its COPY lines put runtime.files where the frontend does, with
// the same modes and owner, and the server finds them.
func TestRuntimeFilesDockerfileEject(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "configfiles")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/go/testdata/configfiles"))); err != nil {
		t.Fatal(err)
	}
	df, _ := ejectLocked(t, dir)
	dfPath := filepath.Join(dir, "Dockerfile")
	writeFile(t, dfPath, string(df))
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", dfPath, "--progress", "plain",
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	files := flatFiles(t, img)
	for p, mode := range map[string]int64{"/app/config": 0o755, "/app/config/app.yml": 0o644, "/app/templates/index.html": 0o644} {
		if h := files[p]; h == nil || h.Mode&0o7777 != mode || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: %+v, want mode %o root:root", p, h, mode)
		}
	}
	var got struct {
		UID      int
		Greeting string
	}
	askImage(t, img, "/healthz", &got, "-port=%d")
	if got.UID != 65532 || got.Greeting != "hello from config" {
		t.Errorf("server answered %+v, want uid 65532 with config/app.yml's greeting", got)
	}
}
