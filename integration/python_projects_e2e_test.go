//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A uv project as its team has it (pyproject.toml, uv.lock, a wheelhouse the lock names as its
// flat index), built with no hand edit: init writes the spec, the build installs the locked wheels
// with their hashes checked by the builder's pip (no uv in the image), the extra the project asks
// for but neither the Windows-only dependency nor the dev group, and the image runs as 65532.
func TestPythonProjectUVLock(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/python/testdata/uvapp")
	if !strings.Contains(spec, "artifacts: [greeter]\n") {
		t.Errorf("init wrote:\n%s", spec)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/app/.venv/bin/python", "-m", "greeter"}) || c.User != "65532:65532" {
		t.Errorf("entrypoint %q user %q", c.Entrypoint, c.User)
	}
	files := flatFiles(t, img)
	site := "/app/.venv/lib/python3.13/site-packages/"
	for _, f := range []string{site + "greeting/__init__.py", site + "words/__init__.py", site + "shout/__init__.py", "/app/greeter/__main__.py"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "/app/wheels") || strings.HasPrefix(f, site+"winonly") || strings.HasPrefix(f, site+"devtool") ||
			strings.HasPrefix(f, site+"pip/") || strings.HasSuffix(f, "/uv.lock") {
			t.Errorf("%s is in the image", f)
		}
	}
	var got struct {
		UID      int
		Greeting string
		Versions map[string]string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "HELLO, WORLD!" || got.Versions["greeting"] != "1.0.0" || got.Versions["words"] != "2.1.0" || got.Versions["shout"] != "0.3.0" {
		t.Errorf("server answered %+v, want uid 65532 and the locked versions", got)
	}
}

// A packaged uv project (src layout, [project.scripts], an editable root in uv.lock): the locked
// dependencies come from the wheelhouse with their hashes, the project itself is built by its
// backend and installed without dependencies into the app's virtualenv, and init's entrypoint
// calls the console script's function from there.
func TestPythonProjectUVLockPackaged(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/python/testdata/uvpackaged")
	if !strings.Contains(spec, "artifacts: [src/greetsvc]\n") || !strings.Contains(spec, `"import sys; from greetsvc.server import main; sys.exit(main())"`) {
		t.Errorf("init wrote:\n%s", spec)
	}
	files := flatFiles(t, img)
	site := "/app/.venv/lib/python3.13/site-packages/"
	for _, f := range []string{site + "greetsvc/server.py", site + "greetsvc-0.2.0.dist-info/METADATA", site + "greeting/__init__.py", site + "words/__init__.py"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, site+"shout") || strings.HasPrefix(f, "/app/_build") || strings.HasPrefix(f, "/app/.venv/bin/greetsvc") {
			t.Errorf("%s is in the image", f)
		}
	}
	var got struct {
		UID      int
		Greeting string
		Versions map[string]string
		File     string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "hello, package" || got.Versions["greetsvc"] != "0.2.0" || got.Versions["words"] != "2.1.0" ||
		got.File != site+"greetsvc/server.py" {
		t.Errorf("server answered %+v, want uid 65532 running the installed project", got)
	}
}

// A Poetry 2 project (poetry.lock lock-version 2.1, package-mode = false) with its wheelhouse
// given in the spec's build.env: the main group is installed with its hashes, the dev group is not.
func TestPythonProjectPoetryLock(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "poetryapp")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/python/testdata/poetryapp"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	files := flatFiles(t, img)
	site := "/app/.venv/lib/python3.13/site-packages/"
	if files[site+"shout/__init__.py"] == nil || files[site+"words/__init__.py"] == nil {
		t.Error("the image lacks the locked packages")
	}
	var got struct {
		UID      int
		Greeting string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "HELLO, WORLD!" {
		t.Errorf("server answered %+v", got)
	}
}

// A Pipenv project (Pipfile, Pipfile.lock with a marker-only and a develop package) with its
// wheelhouse given in the spec's build.env: the default section is installed with its hashes
// checked, the develop section and the Windows-only package are not.
func TestPythonProjectPipfileLock(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "pipenvapp")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/python/testdata/pipenvapp"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	files := flatFiles(t, img)
	site := "/app/.venv/lib/python3.13/site-packages/"
	for _, f := range []string{site + "greeting/__init__.py", site + "shout/__init__.py", site + "words/__init__.py", "/app/greeter/__main__.py"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, site+"winonly") || strings.HasPrefix(f, site+"devtool") || strings.HasPrefix(f, "/app/wheels") || strings.HasSuffix(f, "Pipfile.lock") {
			t.Errorf("%s is in the image", f)
		}
	}
	var got struct {
		UID      int
		Greeting string
		Versions map[string]string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "HELLO, WORLD!" || got.Versions["words"] != "2.1.0" || got.Versions["shout"] != "0.3.0" {
		t.Errorf("server answered %+v, want uid 65532 and the locked versions", got)
	}
}
