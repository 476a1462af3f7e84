package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/hardenedbuild/hardened/audit"
)

// maxLinkHops bounds symlink resolution, as the kernel's ELOOP does.
const maxLinkHops = 40

// node is one file of the merged filesystem.
type node struct {
	entry    audit.Entry // Path is filled in when the entry is returned
	children map[string]*node
	// layer and ordinal locate the content in its layer's tar; layer is -1 for none.
	layer, ordinal int
	data           []byte
	inline         bool
	// shared says data belongs to another node (a hard link's target).
	shared bool
}

func (n *node) isDir() bool { return n.entry.Mode.IsDir() }

// lazy is a loaded image's filesystem and layers (its audit.FS and audit.Layers). The merged
// index is built on the first pass over the layers, whichever comes first: a walk of the layers
// (the index is built on the way, so an audit reads each layer once) or a file lookup.
type lazy struct {
	ls       *layerSet
	mu       sync.Mutex
	x        *index
	building bool
}

var (
	_ audit.FS     = (*lazy)(nil)
	_ audit.Layers = (*lazy)(nil)
)

// errBusy says the filesystem was asked for from inside the first walk of the layers.
var errBusy = errors.New("the image filesystem is read while its layers are first walked")

func (l *lazy) built(ctx context.Context) (*index, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.x == nil {
		if l.building {
			return nil, errBusy
		}
		x, err := newIndex(ctx, l.ls, nil)
		if err != nil {
			return nil, err
		}
		l.x = x
	}
	return l.x, nil
}

// Walk streams every layer; fn must not use the filesystem during the first walk, which builds it.
func (l *lazy) Walk(ctx context.Context, fn func(int, audit.LayerEntry, io.Reader) error) error {
	l.mu.Lock()
	first := l.x == nil && !l.building
	l.building = l.building || first
	l.mu.Unlock()
	if !first {
		return l.ls.walk(ctx, fn)
	}
	x, err := newIndex(ctx, l.ls, fn)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.building = false
	if err == nil {
		l.x = x
	}
	return err
}

func (l *lazy) ReadDir(ctx context.Context, dir string) ([]audit.Entry, error) {
	x, err := l.built(ctx)
	if err != nil {
		return nil, err
	}
	return x.readDir(dir)
}

func (l *lazy) Stat(ctx context.Context, p string) (audit.Entry, error) {
	x, err := l.built(ctx)
	if err != nil {
		return audit.Entry{}, err
	}
	return x.stat(p)
}

func (l *lazy) ReadFile(ctx context.Context, p string) ([]byte, error) {
	x, err := l.built(ctx)
	if err != nil {
		return nil, err
	}
	return x.readFile(ctx, p)
}

// index is the merged filesystem of an image's layers.
type index struct {
	root       *node
	layers     *layerSet
	inlineUsed int64
	// mu guards cur, the read ReadRange keeps open for the next range of the same file.
	mu  sync.Mutex
	cur *cursor
}

// newIndex reads every layer once, applying whiteouts and keeping small files' contents; visit,
// when set, sees every entry as it streams by, as audit.Layers.Walk promises.
func newIndex(ctx context.Context, ls *layerSet, visit func(int, audit.LayerEntry, io.Reader) error) (*index, error) {
	x := &index{root: newDir(audit.Entry{Mode: fs.ModeDir | 0o755}), layers: ls}
	p := &pass{lim: ls.lim}
	for i := range ls.layers {
		var entries []audit.LayerEntry
		var places []node
		err := ls.stream(ctx, p, i, func(ordinal int, e audit.LayerEntry, r io.Reader) error {
			n := node{entry: e.Entry, layer: -1}
			if r != nil {
				n.layer, n.ordinal = i, ordinal
				if e.Size <= ls.lim.MaxInline && x.inlineUsed+e.Size <= ls.lim.MaxInlineTotal {
					d, err := io.ReadAll(io.LimitReader(r, e.Size+1))
					if err != nil {
						return fmt.Errorf("layer %d: %s: %w", i, e.Path, err)
					}
					n.data, n.inline = d, true
					x.inlineUsed += int64(len(d))
					r = bytes.NewReader(d)
				}
			}
			entries = append(entries, e)
			places = append(places, n)
			if visit != nil {
				return visit(i, e, r)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		x.apply(entries, places)
	}
	return x, nil
}

func newDir(e audit.Entry) *node {
	return &node{entry: e, children: map[string]*node{}, layer: -1}
}

// apply lays one layer over the index: its deletions first (they only hide lower layers),
// then its entries in tar order.
func (x *index) apply(entries []audit.LayerEntry, places []node) {
	for _, e := range entries {
		switch {
		case e.Opaque:
			if d := x.resolveDir(e.Path); d != nil {
				x.release(d)
				d.children = map[string]*node{}
			}
		case e.Whiteout:
			if d := x.resolveDir(path.Dir(e.Path)); d != nil {
				if old := d.children[path.Base(e.Path)]; old != nil {
					x.release(old)
					delete(d.children, path.Base(e.Path))
				}
			}
		}
	}
	for i, e := range entries {
		if e.Opaque || e.Whiteout {
			continue
		}
		n := places[i]
		if e.Hardlink {
			n = x.hardlink(e)
		}
		x.put(e.Path, n)
	}
}

// hardlink is a node sharing its target's content and metadata, under the link's path.
func (x *index) hardlink(e audit.LayerEntry) node {
	if t, _, err := x.resolve(e.Linkname, false); err == nil && t.entry.Mode.IsRegular() {
		n := *t
		n.shared = true
		return n
	}
	// A link to nothing, or to something that is not a file: an empty file that cannot be read.
	return node{entry: audit.Entry{Mode: e.Mode.Perm(), UID: e.UID, GID: e.GID, ModTime: e.ModTime}, layer: -1, inline: false}
}

// put places n at p, making missing parents as directories and following symlinked parents,
// as an unpacker writing through the filesystem would.
func (x *index) put(p string, n node) {
	dir := x.mkdirAll(path.Dir(p))
	name := path.Base(p)
	old := dir.children[name]
	if old != nil && old.isDir() && n.entry.Mode.IsDir() {
		old.entry = n.entry // a directory entry updates metadata and keeps the contents
		return
	}
	if old != nil {
		x.release(old)
	}
	nn := n
	if nn.entry.Mode.IsDir() {
		nn.children = map[string]*node{}
	}
	dir.children[name] = &nn
}

// release forgets the inline content of a subtree being replaced.
func (x *index) release(n *node) {
	if n.inline && !n.shared {
		x.inlineUsed -= int64(len(n.data))
	}
	for _, c := range n.children {
		x.release(c)
	}
}

func (x *index) mkdirAll(p string) *node {
	cur, curPath := x.root, "/"
	for _, part := range split(p) {
		next, nextPath := cur.children[part], path.Join(curPath, part)
		if next != nil && next.entry.Mode&fs.ModeSymlink != 0 {
			if d, real, err := x.resolve(nextPath, true); err == nil && d.isDir() {
				cur, curPath = d, real
				continue
			}
		}
		if next == nil || !next.isDir() {
			if next != nil {
				x.release(next)
			}
			next = newDir(audit.Entry{Mode: fs.ModeDir | 0o755})
			cur.children[part] = next
		}
		cur, curPath = next, nextPath
	}
	return cur
}

func (x *index) resolveDir(p string) *node {
	n, _, err := x.resolve(p, true)
	if err != nil || !n.isDir() {
		return nil
	}
	return n
}

func split(p string) []string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// resolve finds p, following symlinks in its directories and, if follow is set, at its end,
// never leaving the image.
func (x *index) resolve(p string, follow bool) (*node, string, error) {
	parts := split(p)
	cur, curPath, hops := x.root, "/", 0
	for i := 0; i < len(parts); i++ {
		if !cur.isDir() {
			return nil, "", syscall.ENOTDIR
		}
		next := cur.children[parts[i]]
		if next == nil {
			return nil, "", fs.ErrNotExist
		}
		last := i == len(parts)-1
		if next.entry.Mode&fs.ModeSymlink != 0 && (!last || follow) {
			if hops++; hops > maxLinkHops {
				return nil, "", syscall.ELOOP
			}
			target := next.entry.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join(curPath, target)
			}
			parts = append(split(target), parts[i+1:]...)
			cur, curPath, i = x.root, "/", -1
			continue
		}
		cur, curPath = next, path.Join(curPath, parts[i])
	}
	return cur, curPath, nil
}

func pathError(op, p string, err error) error {
	return &fs.PathError{Op: op, Path: p, Err: err}
}

func (x *index) readDir(dir string) ([]audit.Entry, error) {
	n, _, err := x.resolve(dir, true)
	if err != nil {
		return nil, pathError("readdir", dir, err)
	}
	if !n.isDir() {
		return nil, pathError("readdir", dir, syscall.ENOTDIR)
	}
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	sort.Strings(names)
	clean := path.Clean("/" + dir)
	out := make([]audit.Entry, 0, len(names))
	for _, name := range names {
		e := n.children[name].entry
		e.Path = path.Join(clean, name)
		out = append(out, e)
	}
	return out, nil
}

func (x *index) stat(p string) (audit.Entry, error) {
	n, _, err := x.resolve(p, false)
	if err != nil {
		return audit.Entry{}, pathError("stat", p, err)
	}
	e := n.entry
	e.Path = path.Clean("/" + p)
	return e, nil
}

func (x *index) readFile(ctx context.Context, p string) ([]byte, error) {
	n, _, err := x.resolve(p, true)
	if err != nil {
		return nil, pathError("open", p, err)
	}
	switch {
	case n.isDir():
		return nil, pathError("read", p, syscall.EISDIR)
	case !n.entry.Mode.IsRegular():
		return nil, pathError("read", p, errors.New("not a regular file"))
	case n.inline:
		return bytes.Clone(n.data), nil
	case n.layer < 0:
		return nil, pathError("read", p, errors.New("a hard link whose target is not in the image"))
	case n.entry.Size > x.layers.lim.MaxReadFile:
		return nil, pathError("read", p, &LimitError{What: "bytes in one file", Limit: x.layers.lim.MaxReadFile})
	}
	return x.readBack(ctx, n, p)
}

// readBack reads a file's content from its layer again.
func (x *index) readBack(ctx context.Context, n *node, p string) ([]byte, error) {
	var out []byte
	found := errors.New("found")
	pass := &pass{lim: x.layers.lim}
	err := x.layers.stream(ctx, pass, n.layer, func(ordinal int, _ audit.LayerEntry, r io.Reader) error {
		if ordinal != n.ordinal || r == nil {
			return nil
		}
		// The size is known and bounded: one buffer of it, not ReadAll's growing copies.
		d := make([]byte, n.entry.Size)
		if _, err := io.ReadFull(r, d); err != nil {
			return err
		}
		out = d
		return found
	})
	if errors.Is(err, found) {
		return out, nil
	}
	if err != nil {
		return nil, pathError("read", p, err)
	}
	return nil, pathError("read", p, fmt.Errorf("entry %d of layer %d is gone on the second read", n.ordinal, n.layer))
}
