//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPythonExampleBuildx builds examples/python (itsdangerous from the example's own
// wheelhouse, no index) through docker buildx, checks the image is hardened and holds no pip,
// runs it, and builds it again with every step re-run to see the same digest.
func TestPythonExampleBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "python")
	var digests []string
	var tars []string
	for _, extra := range [][]string{nil, {"--no-cache"}} {
		out := filepath.Join(t.TempDir(), "app.tar")
		args := append([]string{"build"}, extra...)
		build(t, st.Buildx(context.Background(), append(args, "-f", filepath.Join(dir, "hardened.yaml"),
			"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir)...))
		d, err := only(t, ociImages(t, out)).Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests, tars = append(digests, d.String()), append(tars, out)
	}
	if digests[0] != digests[1] {
		t.Errorf("a --no-cache rebuild of the same source differs: %s and %s (bytecode or pip output is not reproducible)", digests[0], digests[1])
	}
	img := only(t, ociImages(t, tars[0]))

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	assertExampleConfig(t, "python", cf.Config)

	files := flatFiles(t, img)
	const site = "/app/.venv/lib/python3.13/site-packages"
	for _, f := range []string{"/usr/bin/python3.13", "/app/.venv/pyvenv.cfg", "/app/server.py", "/app/hello/__init__.py",
		"/app/healthcheck.py", site + "/itsdangerous/signer.py", site + "/itsdangerous-2.2.0.dist-info/RECORD",
		"/app/hello/__pycache__/__init__.cpython-313.pyc", site + "/itsdangerous/__pycache__/signer.cpython-313.pyc"} {
		h := files[f]
		if h == nil {
			t.Errorf("the image has no %s", f)
			continue
		}
		if strings.HasPrefix(f, "/app/") && (h.Uid != 0 || h.Mode&0o022 != 0) {
			t.Errorf("%s uid %d mode %o: the app must be root-owned and not writable by the runtime user", f, h.Uid, h.Mode)
		}
	}
	// /app and the virtualenv, copied from its own step apart from the app, carry the epoch.
	assertEpoch(t, files, "/app", "/app/.venv", "/app/.venv/pyvenv.cfg", "/app/server.py")
	assertDepsLayer(t, img, "/app/.venv")
	if h := files["/app/.venv/bin/python"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/usr/bin/python3.13" {
		t.Errorf("/app/.venv/bin/python = %+v, want a link to distroless's /usr/bin/python3.13", h)
	}
	// The builder's CPython is in /usr/local (sys.prefix /usr/local, as the official image's), distroless's in
	// /usr: the virtualenv is relocated, so nothing in it may name the builder's interpreter.
	if cfg := string(readFile(t, img, "/app/.venv/pyvenv.cfg")); !strings.Contains(cfg, "home = /usr/bin\n") || strings.Contains(cfg, "/usr/local") {
		t.Errorf("/app/.venv/pyvenv.cfg = %q, want home = /usr/bin and no /usr/local", cfg)
	}
	for f, h := range files {
		if strings.HasPrefix(f, "/app/.venv/") && h.Typeflag == tar.TypeSymlink && strings.HasPrefix(h.Linkname, "/usr/local") {
			t.Errorf("%s links to the builder's %s", f, h.Linkname)
		}
	}
	// No shell, no pip (not even pip's wheel for ensurepip), no compiler, nothing of the context but the artifacts.
	// distroless python3-debian13 has python3.13-venv, so the ensurepip module itself is the base's (its wheels are not).
	for f, h := range files {
		name := filepath.Base(f)
		switch {
		case h.Typeflag != tar.TypeDir && slices.Contains([]string{"sh", "bash", "dash", "busybox", "pip", "pip3", "gcc", "cc", "apt", "dpkg"}, name):
			t.Errorf("the image has %s", f)
		case strings.Contains(f, "/pip/") || strings.HasPrefix(name, "pip-") || strings.HasSuffix(name, ".whl") ||
			strings.HasPrefix(f, "/opt/hardened-pip") || strings.HasPrefix(f, "/root/.cache") || strings.HasPrefix(f, "/usr/share/python-wheels"):
			t.Errorf("the image has pip or its cache: %s", f)
		case f == "/app/hardened.yaml", f == "/app/requirements.txt", strings.HasPrefix(f, "/app/wheels"):
			t.Errorf("%s is not an artifact, yet it is in the image", f)
		}
	}
	assertNoSetuid(t, img)

	var got struct {
		Message, Token, Python, Itsdangerous string
		UID                                  int
	}
	askImage(t, img, "/?name=hardened", &got, "--port=%d")
	if got.UID != 65532 || got.Message != "hello, hardened" || !strings.HasPrefix(got.Python, "3.13.") ||
		got.Itsdangerous != "2.2.0" || !strings.HasPrefix(got.Token, `ImhhcmRlbmVkIg.`) {
		t.Errorf("server answered %+v, want uid 65532 on CPython 3.13 with itsdangerous 2.2.0", got)
	}

	var app int64
	for f, h := range files {
		if strings.HasPrefix(f, "/app/") {
			app += h.Size
		}
	}
	builder := registryImage(t, "library/python:3.13-trixie")
	t.Logf("sizes: hardened image %s (%s compressed), of which /app %s; the python:3.13-trixie builder stand-in %s (%s compressed)",
		mb(unpackedSize(t, img)), mb(compressedSize(t, img)), mb(app), mb(unpackedSize(t, builder)), mb(compressedSize(t, builder)))
}
