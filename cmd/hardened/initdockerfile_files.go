package main

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/hardenedbuild/hardened/spec"
)

// fileCopy is a final-stage COPY of a path that may be of the build context: runtime.files when the
// path is in the context and lands at the same relative path under the app's working directory, else
// the note.
type fileCopy struct {
	rel  string // the path in the context
	cwd  string // the final stage's WORKDIR at the copy ("/" without one)
	dest string // the copy's destination, resolved
	// asDir: the destination is a directory the source goes into (a trailing /, . or several sources).
	asDir bool
	note  string
}

// contextRoot records where a stage copies the whole context (`COPY . .` under its WORKDIR), so a
// later COPY --from of a path under it names a context path.
func (m *migration) contextRoot(st instructions.Stage) {
	wd := "/"
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.WorkdirCommand:
			wd = path.Join(wd, c.Path) // an absolute Path replaces wd, as WORKDIR does
			if path.IsAbs(c.Path) {
				wd = path.Clean(c.Path)
			}
		case *instructions.CopyCommand:
			if c.From == "" && len(c.SourcePaths) == 1 && path.Clean(c.SourcePaths[0]) == "." {
				root := c.DestPath
				if !path.IsAbs(root) {
					root = path.Join(wd, root)
				}
				m.contextRoots[st.Name] = path.Clean(root)
			}
		}
	}
}

// contextFile is the context path a final-stage COPY source names, if it names one: any source of a
// COPY without --from, or a path under where the --from stage copied the whole context.
func (m *migration) contextFile(c *instructions.CopyCommand, src string) (string, bool) {
	rel := path.Clean(src)
	if c.From != "" {
		root, ok := m.contextRoots[strings.ToLower(c.From)]
		if !ok || !strings.HasPrefix(rel, root+"/") {
			return "", false
		}
		rel = strings.TrimPrefix(rel, root+"/")
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "." || rel == "" || strings.ContainsAny(rel, "*?[]{}$") || slices.Contains(strings.Split(rel, "/"), "..") {
		return "", false
	}
	return rel, true
}

// pendFile keeps a final-stage copy of a context path for contextFiles, which knows the context.
func (m *migration) pendFile(c *instructions.CopyCommand, rel, note string) {
	cwd := m.workdir
	if cwd == "" {
		cwd = "/"
	}
	dest := c.DestPath
	if !path.IsAbs(dest) {
		dest = path.Join(cwd, dest)
	}
	asDir := strings.HasSuffix(c.DestPath, "/") || c.DestPath == "." || len(c.SourcePaths) > 1
	m.files = append(m.files, fileCopy{rel: rel, cwd: cwd, dest: path.Clean(dest), asDir: asDir, note: note})
}

// contextFiles turns the pending copies into runtime.files where dir, the build context, has the
// path and the Dockerfile puts it at the same relative path under the working directory (the image's
// /app); a path that is not there (build output), lands elsewhere, or would be over a binary stays a note.
func (m *migration) contextFiles(dir string, artifacts []string) []string {
	var binaries, out []string
	for _, a := range artifacts {
		binaries = append(binaries, m.nameOf(a))
	}
	for _, f := range m.files {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.rel)))
		target := f.dest
		if err == nil && !fi.IsDir() && f.asDir {
			target = path.Join(f.dest, path.Base(f.rel)) // a directory's contents go into dest itself
		}
		top, _, _ := strings.Cut(f.rel, "/")
		if err != nil || target != path.Join(f.cwd, f.rel) || slices.Contains(binaries, top) {
			m.notes = append(m.notes, f.note)
			continue
		}
		out = append(out, f.rel)
	}
	out = dropNested(out)
	if len(out) > spec.MaxRuntimeFiles {
		m.notef("COPY of %d context paths: runtime.files takes at most %d; list their directories", len(out), spec.MaxRuntimeFiles)
		return nil
	}
	return out
}

// dropNested keeps each path once, and a directory without the paths inside it, which it ships.
func dropNested(paths []string) []string {
	var out []string
	for _, p := range paths {
		if slices.ContainsFunc(paths, func(q string) bool { return strings.HasPrefix(p, q+"/") }) || slices.Contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	return out
}
