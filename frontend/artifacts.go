package frontend

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// maxSymlinks bounds how many links an artifact path may go through, as the kernel's ELOOP does.
const maxSymlinks = 40

// maxWalkedDirs bounds how many directories the check lists inside directory artifacts: enough for an
// app's own files; past it the build's own check of the image still refuses special files.
const maxWalkedDirs = 1000

// ctxEntry is what a directory listing says of one name: its mode and, for a symlink, its target.
type ctxEntry struct {
	mode fs.FileMode
	link string
}

// listFunc lists one directory of the build context (an absolute path from its root) by name.
type listFunc func(ctx context.Context, dir string) (map[string]ctxEntry, error)

// contextTree answers the check from one listing per directory, however many artifacts ask: a
// listing is a round trip to the builder, and 80,000 of them took a minute and a half.
type contextTree struct {
	list   listFunc
	dirs   map[string]listing
	walked int // directories listed inside directory artifacts, up to maxWalkedDirs
}

type listing struct {
	entries map[string]ctxEntry
	err     error
}

func newContextTree(list listFunc) *contextTree {
	return &contextTree{list: list, dirs: map[string]listing{}}
}

func (t *contextTree) readDir(ctx context.Context, dir string) (map[string]ctxEntry, error) {
	if l, ok := t.dirs[dir]; ok {
		return l.entries, l.err
	}
	entries, err := t.list(ctx, dir)
	t.dirs[dir] = listing{entries, err}
	return entries, err
}

// stat is an lstat of p. Its parent is looked at first, so the names in a missing directory cost
// no listing each.
func (t *contextTree) stat(ctx context.Context, p string) (fs.FileMode, string, error) {
	if p == "/" {
		return fs.ModeDir, "", nil
	}
	dir := path.Dir(p)
	if dir != "/" {
		mode, _, err := t.stat(ctx, dir)
		if err != nil {
			return 0, "", err
		}
		if !mode.IsDir() && mode&fs.ModeSymlink == 0 {
			return 0, "", fs.ErrNotExist
		}
	}
	entries, err := t.readDir(ctx, dir)
	if err != nil {
		return 0, "", err
	}
	e, ok := entries[path.Base(p)]
	if !ok {
		return 0, "", fs.ErrNotExist
	}
	return e.mode, e.link, nil
}

// specialInside finds a device, pipe or socket under dir, without following symlinks (a copy keeps
// them as links), and returns its path from the context's root.
func (t *contextTree) specialInside(ctx context.Context, dir string) (string, fs.FileMode) {
	queue := []string{dir}
	for len(queue) > 0 && t.walked < maxWalkedDirs {
		d := queue[0]
		queue = queue[1:]
		t.walked++
		entries, err := t.readDir(ctx, d)
		if err != nil {
			continue // the copy reports what cannot be read
		}
		for _, name := range slices.Sorted(maps.Keys(entries)) {
			m := entries[name].mode
			switch {
			case m.IsDir():
				queue = append(queue, path.Join(d, name))
			case m.IsRegular() || m&fs.ModeSymlink != 0:
			default:
				return path.Join(d, name), m
			}
		}
	}
	return "", 0
}

// checkArtifacts looks at every artifact in the build context before anything is built, so a
// path that is missing (or that .dockerignore excludes), a symlink out of the context, or a
// device, pipe or socket (also inside a directory the image gets) fails with its spec position and
// what to write instead, rather than with a copy error from deep in the solve. It reads the build
// context from the load the build itself uses (loaded), so the context is transferred once.
func checkArtifacts(ctx context.Context, s *spec.Spec, loaded func() (gwclient.Reference, error)) error {
	ref, err := loaded()
	if err != nil {
		return wrapf(err, "reading the build context")
	}
	list := func(ctx context.Context, dir string) (map[string]ctxEntry, error) {
		sts, err := ref.ReadDir(ctx, gwclient.ReadDirRequest{Path: dir})
		if err != nil {
			return nil, err
		}
		entries := make(map[string]ctxEntry, len(sts))
		for _, st := range sts {
			entries[path.Base(st.Path)] = ctxEntry{fs.FileMode(st.Mode), st.Linkname}
		}
		return entries, nil
	}
	return artifactProblems(ctx, s, newContextTree(list))
}

// copiesArtifacts says the spec's language's artifacts reach the image as they are in the context (a Go
// artifact is a package the compiler reads), so a directory artifact is looked through too.
func copiesArtifacts(s *spec.Spec) bool {
	l, ok := registry.Lookup(s.Language)
	return ok && l.Layout().AsIs
}

// checksContext says the build looks in the context before the build: for artifacts that are paths
// in it, and for runtime.files, which are always.
func checksContext(s *spec.Spec) bool {
	l, ok := registry.Lookup(s.Language)
	return ok && l.Layout().InContext || len(s.Runtime.Files) > 0
}

// artifactProblems checks each artifact in t (when the language's are paths in the context) and each
// runtime.files path, and reports every problem at once (spec.Errors shows at most spec.MaxProblems).
func artifactProblems(ctx context.Context, s *spec.Spec, t *contextTree) error {
	var errs spec.Errors
	for i, f := range s.Runtime.Files {
		field := fmt.Sprintf("runtime.files[%d]", i)
		// Walked like a static artifact's: the directory reaches the image as it is.
		if msg, hint := inspectArtifact(ctx, spec.RuntimeFile(f), t, true); msg != "" {
			errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field, Msg: msg, Hint: hint})
		}
	}
	l, ok := registry.Lookup(s.Language)
	if !ok || !l.Layout().InContext {
		return errsOrNil(errs)
	}
	for i, a := range s.Artifacts {
		field := fmt.Sprintf("artifacts[%d]", i)
		if _, _, err := t.stat(ctx, path.Clean("/"+a)); err != nil && s.Build.Script != "" {
			continue // build output: the language's build checks it once the script has run
		}
		msg, hint := inspectArtifact(ctx, a, t, copiesArtifacts(s))
		if msg != "" {
			errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field, Msg: msg, Hint: hint})
		}
	}
	return errsOrNil(errs)
}

// errsOrNil keeps a nil error nil: an empty spec.Errors in an error is not.
func errsOrNil(errs spec.Errors) error {
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// inspectArtifact follows an artifact's path through symlinks inside the context and says what is
// wrong with it, if anything.
func inspectArtifact(ctx context.Context, artifact string, t *contextTree, walk bool) (msg, hint string) {
	const root = "/context"
	p := path.Clean("/" + artifact)
	via := ""
	for hops := 0; ; hops++ {
		mode, link, err := t.stat(ctx, p)
		if err != nil {
			if via == "" {
				return fmt.Sprintf("%q is not in the build context: it does not exist, or .dockerignore excludes it", artifact),
					"check the path from the context's root, and that no .dockerignore pattern matches it (a !pattern line re-includes it)"
			}
			return fmt.Sprintf("%q is a symlink (%s) to %s, which is not in the build context", artifact, via, p),
				"point the link at a file that is in the context, or copy the file into the context"
		}
		switch {
		case mode&fs.ModeSymlink != 0:
			if hops >= maxSymlinks {
				return fmt.Sprintf("%q goes through more than %d symlinks", artifact, maxSymlinks), "point it at the file itself"
			}
			if path.IsAbs(link) {
				return fmt.Sprintf("%q is a symlink to the absolute path %s, which names a file of the machine it was made on, not of the build context", artifact, link),
					"make it a relative link to a file in the context, or copy the file into the context"
			}
			next := path.Join(root, path.Dir(p), link)
			if next != root && !strings.HasPrefix(next, root+"/") {
				return fmt.Sprintf("%q is a symlink to %s, which leaves the build context", artifact, link),
					"copy the file into the context; a build may only read what is in it"
			}
			via = strings.TrimPrefix(via+" -> "+link, " -> ")
			p = strings.TrimPrefix(next, root)
			if p == "" {
				p = "/"
			}
		case mode.IsDir() && walk:
			if inside, m := t.specialInside(ctx, p); inside != "" {
				return fmt.Sprintf("%q holds a %s, %s, and the image gets the directory as it is", artifact, kind(m), strings.TrimPrefix(inside, "/")),
					"remove it from the directory, or exclude it in .dockerignore; an image must not carry device nodes, pipes or sockets from a build context"
			}
			return "", ""
		case mode.IsRegular() || mode.IsDir():
			return "", ""
		default:
			return fmt.Sprintf("%q is a %s, not a file or directory", artifact, kind(mode)),
				"artifacts must be regular files or directories; an image must not carry device nodes, pipes or sockets from a build context"
		}
	}
}

// kind is audit.SpecialFile's name for a context's author, who may know a FIFO as a named pipe.
func kind(m fs.FileMode) string {
	switch k := audit.SpecialFile(m); k {
	case "FIFO":
		return "named pipe (FIFO)"
	case "":
		return "special file"
	default:
		return k
	}
}
