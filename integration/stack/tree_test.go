package stack

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func readTar(t *testing.T, data []byte) []*tar.Header {
	t.Helper()
	var out []*tar.Header
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

func TestTreeWriteTar(t *testing.T) {
	build := func() *tree {
		tr := newTree()
		tr.addFile("./usr/bin/su", 0o4755, 0, 0, []byte("su"))
		tr.addFile("/usr/bin/newgrp", 0o2755, 0, 0, []byte("ng"))
		tr.addDir("home/nonroot/", 0o700, 65532, 65532)
		tr.addSymlink("etc/os-release", "../usr/lib/os-release")
		// A hard link listed before its target in write order.
		tr.put(&treeEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "usr/bin/a-link", Linkname: "usr/bin/z-file"}})
		tr.addFile("usr/bin/z-file", 0o755, 0, 0, []byte("zz"))
		return tr
	}
	var first, second bytes.Buffer
	if err := build().writeTar(&first, writeOptions{stripSetuid: true}); err != nil {
		t.Fatal(err)
	}
	if err := build().writeTar(&second, writeOptions{stripSetuid: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two writes of the same tree differ")
	}
	seen := map[string]*tar.Header{}
	for _, h := range readTar(t, first.Bytes()) {
		if h.Mode&0o6000 != 0 {
			t.Errorf("%s keeps setuid/setgid bits: %o", h.Name, h.Mode)
		}
		if !h.ModTime.Equal(epoch) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: mtime %v, owner names %q %q", h.Name, h.ModTime, h.Uname, h.Gname)
		}
		if h.Typeflag == tar.TypeLink {
			if target, ok := seen[h.Linkname]; !ok || target.Typeflag != tar.TypeReg {
				t.Errorf("hard link %s -> %s comes before a regular file of that name", h.Name, h.Linkname)
			}
		}
		seen[h.Name] = h
	}
	for _, dir := range []string{"usr/", "usr/bin/", "home/", "etc/"} {
		if h, ok := seen[dir]; !ok || h.Mode != 0o755 || h.Uid != 0 {
			t.Errorf("missing parent %s added as root 0755: %+v", dir, h)
		}
	}
	if h := seen["home/nonroot/"]; h == nil || h.Uid != 65532 || h.Mode != 0o700 {
		t.Errorf("home/nonroot/: %+v", h)
	}
	if h := seen["usr/bin/a-link"]; h == nil || h.Typeflag != tar.TypeReg || h.Size != 2 {
		t.Errorf("first name of the link group should hold the data: %+v", h)
	}
}

func TestAddHostDir(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "test"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "bin", "git"), []byte("git"), 0o755))
	must(os.Link(filepath.Join(dir, "bin", "git"), filepath.Join(dir, "bin", "git-add")))
	must(os.Symlink("git", filepath.Join(dir, "bin", "g")))
	must(os.WriteFile(filepath.Join(dir, "test", "skipped"), nil, 0o644))

	tr := newTree()
	must(tr.addHostDir(dir, dirOptions{
		prefix: "usr/local/go",
		owner:  &[2]int{0, 0},
		skip:   func(rel string, _ os.DirEntry) bool { return rel == "test" },
	}))
	var buf bytes.Buffer
	must(tr.writeTar(&buf, writeOptions{}))
	got := map[string]*tar.Header{}
	for _, h := range readTar(t, buf.Bytes()) {
		got[h.Name] = h
	}
	if h := got["usr/local/go/bin/git-add"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "usr/local/go/bin/git" {
		t.Errorf("git-add should be a hard link to usr/local/go/bin/git: %+v", h)
	}
	if h := got["usr/local/go/bin/g"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "git" {
		t.Errorf("g should be a symlink to git: %+v", h)
	}
	if _, ok := got["usr/local/go/test/skipped"]; ok {
		t.Error("skipped directory was written")
	}
}
