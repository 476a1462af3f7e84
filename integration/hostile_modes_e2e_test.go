//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileModesNormalised: a context with a git archive's modes (0664 files, 0775 directories)
// and a build step that leaves a 0666 file, a 0777 directory and setgid/sticky bits in /out give
// an image whose /app holds only root-owned 0644/0755 entries, the execute bit kept.
func TestHostileModesNormalised(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "python")
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		mode := fs.FileMode(0o664)
		if d.IsDir() {
			mode = 0o775
		}
		return os.Chmod(p, mode)
	}); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+`build:
  steps:
    - run: ["sh", "-c", "cd /hardened/out; chmod 666 hello/__init__.py; mkdir ww; chmod 777 ww; touch ww/run; chmod 4777 ww/run; mkdir sticky; chmod 3777 sticky"]
`)
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", spec, "-o", "type=oci,dest="+out, dir))
	files := flatFiles(t, only(t, ociImages(t, out)))
	want := map[string]int64{"/app/hello/__init__.py": 0o644, "/app/server.py": 0o644, "/app/hello": 0o755, "/app/ww": 0o755, "/app/ww/run": 0o755, "/app/sticky": 0o755}
	for p, mode := range want {
		h := files[p]
		if h == nil {
			t.Errorf("%s is not in the image", p)
			continue
		}
		if h.Mode&0o7777 != mode {
			t.Errorf("%s has mode %o, want %o", p, h.Mode&0o7777, mode)
		}
	}
	for p, h := range files {
		if !strings.HasPrefix(p, "/app/") {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		default:
			t.Errorf("%s is of tar type %q", p, h.Typeflag)
		}
		if h.Typeflag != tar.TypeSymlink && (h.Uid != 0 || h.Gid != 0 || h.Mode&0o7022 != 0) {
			t.Errorf("%s: mode %o owner %d:%d, want root's without group/other write or special bits", p, h.Mode, h.Uid, h.Gid)
		}
	}
}

// TestHostileSpecialFilesRefused: a build step that leaves a character device and a FIFO in /out
// fails the build, naming each path, at the artifacts line; nothing is exported.
func TestHostileSpecialFilesRefused(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "python")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+`build:
  steps:
    - run: ["sh","-c","cd /hardened/out; chmod 666 hello/__init__.py; mkdir ww; chmod 777 ww; mknod mem c 1 1; chmod 666 mem; mkfifo fifo"]
`)
	out := buildFails(t, st.Buildx(context.Background(), "build", "-f", spec, dir))
	for _, want := range []string{"HX-PRIV-APP-WRITABLE", "/app/mem (character device)", "/app/fifo (FIFO)", "artifacts: [server.py"} {
		if !strings.Contains(out, want) {
			t.Errorf("the build's error lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", tail(out, 40))
	}
	assertNoGoStack(t, out)
}
