package audit

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

const (
	// maxFiles bounds the merged filesystem a report walks.
	maxFiles = 2_000_000
	// maxRead bounds a file a check reads whole (passwd, os-release, package metadata).
	maxRead = 16 << 20
	// maxLinkHops bounds symlink resolution, as the kernel's ELOOP does.
	maxLinkHops = 40
)

// facts is what the checks of one report share: the merged filesystem walked once, the
// layers streamed once, and files read at most once.
type facts struct {
	ctx   context.Context
	t     *Target
	cfg   *dockerspec.DockerOCIImage
	opts  *options
	files []Entry
	index map[string]int

	layers *layerData // nil without layer data
	base   *baseData  // nil unless the report is narrowed to what a base adds

	// listed says which directories are in files when the tree is read lazily (opts.lazy), not walked.
	listed map[string]bool

	// err is the first read error a check met; Run returns it instead of a report.
	err   error
	reads map[string][]byte

	pkgs       *packageDB
	nameHits   []secretHit
	namesDone  bool
	content    *contentScan
	tools      map[string][]Entry
	userCached *runtimeUser
	info       *ImageInfo
}

func newFacts(ctx context.Context, t *Target, o *options) (*facts, error) {
	f := &facts{ctx: ctx, t: t, cfg: t.Config, opts: o, reads: map[string][]byte{}}
	if f.cfg == nil {
		f.cfg = &dockerspec.DockerOCIImage{}
	}
	var err error
	if o.lazy {
		f.index, f.listed = map[string]int{}, map[string]bool{}
		return f, nil
	}
	// Layers first: a source that builds its filesystem from them does it in the same pass.
	if t.Layers != nil {
		if f.layers, err = readLayers(ctx, t.Layers, f.cfg, o.searchesLayers()); err != nil {
			return nil, fmt.Errorf("reading the image layers: %w", err)
		}
	}
	if f.files, err = walkAll(ctx, t.FS); err != nil {
		return nil, fmt.Errorf("reading the image filesystem: %w", err)
	}
	f.index = make(map[string]int, len(f.files))
	for i, e := range f.files {
		f.index[e.Path] = i
	}
	if o.base != nil {
		if f.base, err = newBaseData(ctx, o.base, f.cfg); err != nil {
			return nil, fmt.Errorf("reading the base image %s: %w", o.base.Name, err)
		}
	}
	return f, nil
}

// walkAll lists the merged filesystem, bounded.
func walkAll(ctx context.Context, fsys FS) ([]Entry, error) {
	if fsys == nil {
		return nil, nil
	}
	var out []Entry
	err := Walk(ctx, fsys, "/", func(e Entry) error {
		if len(out) == maxFiles {
			return fmt.Errorf("the image has more than %d files, more than a report reads", maxFiles)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// added says whether a piece of evidence is the image's own rather than its base's.
func (f *facts) added(ev Evidence) bool {
	b := f.base
	if b == nil {
		return true
	}
	if ev.Layer != nil && ev.Layer.Digest != "" {
		if b.prefix {
			return ev.Layer.Index >= len(b.diffIDs)
		}
		for _, d := range b.diffIDs {
			if d == ev.Layer.Digest {
				return false
			}
		}
		return true
	}
	if ev.Path != "" {
		if b.prefix && f.layers != nil {
			if i, ok := f.layers.origin[ev.Path]; ok {
				return i >= len(b.diffIDs)
			}
		}
		be, ok := b.files[ev.Path]
		if !ok {
			return true
		}
		e, ok := f.entry(ev.Path)
		return !ok || !sameMetadata(e, be)
	}
	if ev.history > 0 {
		return ev.history > b.history
	}
	return true
}

func sameMetadata(a, b Entry) bool {
	return a.Mode == b.Mode && a.UID == b.UID && a.GID == b.GID && a.Size == b.Size && a.Linkname == b.Linkname
}

// entry is the merged filesystem's entry at exactly p (no symlink followed).
func (f *facts) entry(p string) (Entry, bool) {
	if f.listed != nil {
		f.list(path.Dir(p))
	}
	i, ok := f.index[p]
	if !ok {
		return Entry{}, false
	}
	return f.files[i], true
}

// list reads one directory into files, once, when the tree is read lazily.
func (f *facts) list(dir string) {
	if f.listed[dir] || f.err != nil {
		return
	}
	f.listed[dir] = true
	entries, err := f.t.FS.ReadDir(f.ctx, dir)
	if err != nil {
		if dir == "/" {
			f.fail(fmt.Errorf("reading the image filesystem: %w", err))
		}
		return // a directory that is not there (or not one) holds nothing to find
	}
	for _, e := range entries {
		if _, ok := f.index[e.Path]; !ok {
			f.index[e.Path] = len(f.files)
			f.files = append(f.files, e)
		}
	}
}

// lookup finds p, following symlinks in its directories and, when follow is set, the last one,
// all inside the image.
func (f *facts) lookup(p string, follow bool) (Entry, bool) {
	parts := splitPath(p)
	cur, hops := "/", 0
	for i := 0; i < len(parts); i++ {
		next := path.Join(cur, parts[i])
		e, ok := f.entry(next)
		if !ok {
			return Entry{}, false
		}
		last := i == len(parts)-1
		if e.Mode&fs.ModeSymlink != 0 && (!last || follow) {
			if hops++; hops > maxLinkHops {
				return Entry{}, false
			}
			target := e.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join(cur, target)
			}
			parts = append(splitPath(target), parts[i+1:]...)
			cur, i = "/", -1
			continue
		}
		cur = next
	}
	if cur == "/" {
		return Entry{Path: "/", Mode: fs.ModeDir | 0o755}, true
	}
	return f.entry(cur)
}

func splitPath(p string) []string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// read returns a file's content, following symlinks; false when it does not exist. Any other
// failure is kept in f.err and ends the report.
func (f *facts) read(p string) ([]byte, bool) {
	if d, ok := f.reads[p]; ok {
		return d, d != nil
	}
	e, ok := f.lookup(p, true)
	if !ok || !e.Mode.IsRegular() {
		f.reads[p] = nil
		return nil, false
	}
	if e.Size > maxRead {
		f.fail(fmt.Errorf("%s is %d bytes, over the %d a check reads", p, e.Size, maxRead))
		f.reads[p] = nil
		return nil, false
	}
	d, err := f.t.FS.ReadFile(f.ctx, e.Path)
	if err != nil {
		f.fail(fmt.Errorf("reading %s: %w", p, err))
		f.reads[p] = nil
		return nil, false
	}
	if d == nil {
		d = []byte{}
	}
	f.reads[p] = d
	return d, true
}

func (f *facts) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// origin attributes a merged path to the layer that wrote it, when layers are known.
func (f *facts) origin(p string) *LayerRef {
	if f.layers == nil {
		return nil
	}
	i, ok := f.layers.origin[p]
	if !ok {
		return nil
	}
	return f.layers.ref(i)
}

// fileEvidence is evidence about a merged path, attributed to its layer.
func (f *facts) fileEvidence(p, format string, args ...any) Evidence {
	return Evidence{Path: p, Layer: f.origin(p), Detail: fmt.Sprintf(format, args...)}
}

// env is the config's environment as a map, last definition winning.
func (f *facts) env() map[string]string {
	out := map[string]string{}
	for _, kv := range f.cfg.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// binDirs are the system's bin directories.
var binDirs = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/busybox"}

// executables lists the files of bin directories (any directory named bin or sbin, and
// /busybox) by name: executables and links, as a PATH lookup would find them. Evidence goes to
// each path as it is.
func (f *facts) executables() map[string][]Entry {
	if f.tools != nil {
		return f.tools
	}
	f.tools = map[string][]Entry{}
	for _, e := range f.files {
		dir := path.Dir(e.Path)
		inBin := path.Base(dir) == "bin" || path.Base(dir) == "sbin" || dir == "/busybox"
		if !inBin || !(executable(e) || e.Mode&fs.ModeSymlink != 0) {
			continue
		}
		name := path.Base(e.Path)
		f.tools[name] = append(f.tools[name], e)
	}
	return f.tools
}

// findTools lists the entries named like any of names, sorted by path.
func (f *facts) findTools(names []string) []Entry {
	tools := f.executables()
	var out []Entry
	for _, n := range names {
		out = append(out, tools[n]...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// toolEvidence describes found tools, one piece of evidence each.
func (f *facts) toolEvidence(found []Entry) []Evidence {
	var ev []Evidence
	for _, e := range found {
		if e.Mode&fs.ModeSymlink != 0 {
			ev = append(ev, f.fileEvidence(e.Path, "link to %s", e.Linkname))
		} else {
			ev = append(ev, f.fileEvidence(e.Path, "%s", modeString(e)))
		}
	}
	return ev
}

func modeString(e Entry) string {
	return fmt.Sprintf("mode %s, owner %d:%d", lsMode(e.Mode), e.UID, e.GID)
}

// lsMode writes a mode as ls -l does (-rwsr-xr-x), with the octal bits after it.
func lsMode(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	for i, c := range "rwxrwxrwx" {
		if m.Perm()&(1<<uint(8-i)) != 0 {
			b[i+1] = byte(c)
		}
	}
	special := func(i int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[i] == 'x' {
			b[i] = lower
		} else {
			b[i] = upper
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	octal := m.Perm()
	if m&fs.ModeSetuid != 0 {
		octal |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		octal |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		octal |= 0o1000
	}
	return fmt.Sprintf("%s (%04o)", b, uint32(octal))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
