package stack

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// epoch is the modification time of every entry of a stand-in layer, so that a recipe always gives the same bytes.
var epoch = time.Unix(0, 0).UTC()

// tree is the content of one layer: entries by clean relative path ("etc/passwd"), written sorted by writeTar.
// Regular files hold their bytes (data) or the host file to read them from when written (src).
type tree struct {
	entries map[string]*treeEntry
}

type treeEntry struct {
	hdr  tar.Header
	data []byte
	src  string
}

func newTree() *tree { return &tree{entries: map[string]*treeEntry{}} }

// cleanName turns "./usr/bin/", "/usr/bin" or "usr/bin" into "usr/bin"; the root itself becomes "".
func cleanName(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	return name
}

func (t *tree) put(e *treeEntry) {
	e.hdr.Name = cleanName(e.hdr.Name)
	if e.hdr.Name == "" {
		return
	}
	t.entries[e.hdr.Name] = e
}

// addDir records a directory entry owned by uid:gid.
func (t *tree) addDir(name string, mode int64, uid, gid int) {
	t.put(&treeEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: gid}})
}

// addFile records a regular file with the given content.
func (t *tree) addFile(name string, mode int64, uid, gid int, data []byte) {
	t.put(&treeEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: uid, Gid: gid, Size: int64(len(data))}, data: data})
}

// addSymlink records a symbolic link.
func (t *tree) addSymlink(name, target string) {
	t.put(&treeEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}})
}

// removeIf drops every entry whose name satisfies drop.
func (t *tree) removeIf(drop func(name string, e *treeEntry) bool) {
	for name, e := range t.entries {
		if drop(name, e) {
			delete(t.entries, name)
		}
	}
}

// dirOptions says how addHostDir maps a host directory into the tree.
type dirOptions struct {
	// prefix is where the directory lands in the layer ("usr/local/go"); empty for the root.
	prefix string
	// skip prunes a host path (relative to the walked directory, slash separated); a skipped directory is not entered.
	skip func(rel string, d fs.DirEntry) bool
	// owner forces uid:gid of every entry when set; otherwise the numeric ownership on disk is kept.
	owner *[2]int
}

// addHostDir walks a host directory and records its directories, regular files (read later), symlinks and hard
// links. Device nodes, sockets and FIFOs are left out: an image layer should not carry them.
func (t *tree) addHostDir(dir string, opt dirOptions) error {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]string{}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		if rel != "" && opt.skip != nil && opt.skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := cleanName(path.Join(opt.prefix, rel))
		if name == "" {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no ownership information", p)
		}
		uid, gid := int(st.Uid), int(st.Gid)
		if opt.owner != nil {
			uid, gid = opt.owner[0], opt.owner[1]
		}
		hdr := tar.Header{Name: name, Mode: tarMode(fi.Mode()), Uid: uid, Gid: gid}
		e := &treeEntry{}
		switch m := fi.Mode(); {
		case m.IsDir():
			hdr.Typeflag = tar.TypeDir
		case m&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		case m.IsRegular():
			key := inode{uint64(st.Dev), uint64(st.Ino)}
			if first, ok := seen[key]; ok && st.Nlink > 1 {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				break
			}
			seen[key] = name
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
			e.src = p
		default:
			return nil
		}
		e.hdr = hdr
		t.put(e)
		return nil
	})
}

// tarMode converts an fs.FileMode to the permission and setuid/setgid/sticky bits of a tar header.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// addTar records every entry of a tar stream (a .deb's data archive), holding file contents in memory.
// Entries already present are replaced, as unpacking in order would.
func (t *tree) addTar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		e := &treeEntry{hdr: tar.Header{
			Typeflag: hdr.Typeflag, Name: hdr.Name, Linkname: hdr.Linkname,
			Mode: hdr.Mode & 0o7777, Uid: hdr.Uid, Gid: hdr.Gid, Size: hdr.Size,
		}}
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeSymlink:
		case tar.TypeLink:
			e.hdr.Linkname = cleanName(hdr.Linkname)
		case tar.TypeReg:
			if e.data, err = io.ReadAll(tr); err != nil {
				return err
			}
		default:
			continue
		}
		t.put(e)
	}
}

// writeOptions changes how a tree is written without changing the tree.
type writeOptions struct {
	// stripSetuid clears setuid and setgid bits on every entry.
	stripSetuid bool
}

// writeTar writes the tree as a tar stream: parents first, sorted by name, missing parent directories added as
// root-owned 0755, numeric ownership only, fixed modification times, hard links pointing at an earlier entry.
func (t *tree) writeTar(w io.Writer, opt writeOptions) error {
	t.addMissingParents()
	t.orderHardLinks()
	names := make([]string, 0, len(t.entries))
	for name := range t.entries {
		names = append(names, name)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, name := range names {
		e := t.entries[name]
		hdr := e.hdr
		hdr.ModTime = epoch
		hdr.Uname, hdr.Gname = "", ""
		if opt.stripSetuid {
			hdr.Mode &^= 0o6000
		}
		if hdr.Typeflag == tar.TypeDir {
			hdr.Name += "/"
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if err := e.copyTo(tw, hdr.Size); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return tw.Close()
}

func (e *treeEntry) copyTo(w io.Writer, size int64) error {
	if e.src == "" {
		_, err := io.Copy(w, bytes.NewReader(e.data))
		return err
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("file changed size while being written (%d of %d bytes)", n, size)
	}
	return err
}

func (t *tree) addMissingParents() {
	for name := range t.entries {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := t.entries[dir]; ok {
				break
			}
			t.addDir(dir, 0o755, 0, 0)
		}
	}
}

// orderHardLinks makes the first name (in write order) of every hard-link group the regular file, since a tar
// reader can only link to an entry it has already seen. Links whose target is gone are dropped.
func (t *tree) orderHardLinks() {
	groups := map[string][]string{}
	for name, e := range t.entries {
		if e.hdr.Typeflag == tar.TypeLink {
			groups[e.hdr.Linkname] = append(groups[e.hdr.Linkname], name)
		}
	}
	for target, links := range groups {
		file, ok := t.entries[target]
		if !ok || file.hdr.Typeflag != tar.TypeReg {
			for _, l := range links {
				delete(t.entries, l)
			}
			continue
		}
		first := target
		for _, l := range links {
			if l < first {
				first = l
			}
		}
		if first == target {
			continue
		}
		moved := *file
		moved.hdr.Name = first
		t.entries[first] = &moved
		for _, name := range append(links, target) {
			if name == first {
				continue
			}
			e := t.entries[name]
			link := &treeEntry{hdr: e.hdr}
			link.hdr.Typeflag, link.hdr.Linkname, link.hdr.Size = tar.TypeLink, first, 0
			t.entries[name] = link
		}
	}
}

// moveTo puts every entry that drop does not refuse into dst, its name under prefix ("usr/local/").
func (t *tree) moveTo(dst *tree, prefix string, drop func(name string) bool) {
	for name, e := range t.entries {
		if drop != nil && drop(name) {
			continue
		}
		c := *e
		c.hdr.Name = prefix + name
		if c.hdr.Typeflag == tar.TypeLink {
			c.hdr.Linkname = cleanName(prefix + c.hdr.Linkname)
		}
		dst.put(&c)
	}
}
