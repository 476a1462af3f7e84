package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A goDependency is the module a Go app's dependency change adds, with versions to take one a run, so no run
// reuses the last one's module download. It must be outside the app's module graph: go get of a lower version
// of a module the graph has would move the modules that need it too (gosvc's prometheus client needs uuid).
type goDependency struct {
	module   string
	versions []string
}

var (
	uuidDependency = goDependency{"github.com/google/uuid", []string{"v1.6.0", "v1.5.0", "v1.4.0", "v1.3.1", "v1.3.0", "v1.2.0", "v1.1.5", "v1.1.4", "v1.1.3", "v1.1.2"}}
	xidDependency  = goDependency{"github.com/rs/xid", []string{"v1.6.0", "v1.5.0", "v1.4.0", "v1.3.0", "v1.2.1"}}
)

// A workspace is a private copy of the example that builds edit, plus the variants' Dockerfiles.
type workspace struct {
	ex      *example
	dir     string // temp root, removed at the end
	ctx     string // the build context: a copy of the example's directory without bench/
	orig    map[string][]byte
	benchDF string // the example's bench/ in the repository
	// syntaxDF is B's Dockerfile with "# syntax=docker/dockerfile:1" as its first line (variant S).
	syntaxDF string
	// peerBases are the bases of B's Dockerfile, whose copies S builds on (pushPeerBases).
	peerBases []string
	// run tells this run's source changes from an earlier run's on a kept bench stack, whose cache would
	// otherwise hold the very builds a source change asks for (only the cold case empties it).
	run string
}

func newWorkspace(root string, ex *example) (*workspace, error) {
	dir, err := os.MkdirTemp("", "hardened-bench")
	if err != nil {
		return nil, err
	}
	src := filepath.Join(root, filepath.FromSlash(ex.dir()))
	w := &workspace{ex: ex, dir: dir, ctx: filepath.Join(dir, ex.Name), orig: map[string][]byte{}, benchDF: filepath.Join(src, "bench"),
		run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	err = copyFiles(src, w.ctx, "bench", func(rel string, data []byte, perm fs.FileMode) error {
		w.orig[rel] = data
		return os.WriteFile(filepath.Join(w.ctx, rel), data, perm)
	})
	if err == nil {
		err = w.writeSyntaxDockerfile()
	}
	if err == nil && ex.prepare != nil {
		err = ex.prepare(w)
	}
	if err != nil {
		w.remove()
		return nil, err
	}
	return w, nil
}

func (w *workspace) remove() { os.RemoveAll(w.dir) }

// writeSyntaxDockerfile writes variant S's Dockerfile (peerDockerfileFrom) beside the contexts.
func (w *workspace) writeSyntaxDockerfile() error {
	data, err := os.ReadFile(filepath.Join(w.benchDF, "hardened.Dockerfile"))
	if err != nil {
		return err
	}
	s, bases, err := peerDockerfileFrom(data)
	if err != nil {
		return fmt.Errorf("%s/bench/hardened.Dockerfile: %w", w.ex.dir(), err)
	}
	w.syntaxDF, w.peerBases = filepath.Join(w.dir, "syntax.Dockerfile"), bases
	return os.WriteFile(w.syntaxDF, s, 0o644)
}

// reset puts the context back to the example as committed: files a change added go, edited ones are restored.
func (w *workspace) reset() error {
	err := filepath.WalkDir(w.ctx, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if rel, _ := filepath.Rel(w.ctx, p); w.orig[rel] == nil {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for rel, data := range w.orig {
		if err := os.WriteFile(filepath.Join(w.ctx, rel), data, 0o644); err != nil {
			return err
		}
	}
	return w.prepare()
}

func (w *workspace) prepare() error {
	if w.ex.prepare == nil {
		return nil
	}
	return w.ex.prepare(w)
}

// changeSource edits one line of the example's source, marked with tag, so that the artifact differs.
func (w *workspace) changeSource(tag string) error {
	rel := filepath.FromSlash(w.ex.SourceFile)
	orig := w.orig[rel]
	if !bytes.Contains(orig, []byte(w.ex.SourceLine)) {
		return fmt.Errorf("%s/%s no longer has the line %s", w.ex.dir(), w.ex.SourceFile, w.ex.SourceLine)
	}
	line, err := w.ex.changedLine(tag + " " + w.run)
	if err != nil {
		return err
	}
	changed := strings.Replace(string(orig), w.ex.SourceLine, line, 1)
	if err := os.WriteFile(filepath.Join(w.ctx, rel), []byte(changed), 0o644); err != nil {
		return err
	}
	return w.prepare()
}

// buildStaticBinary builds examples/static's hello-server as its README says, with the host's go.
func buildStaticBinary(w *workspace) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "../hello-server", ".")
	cmd.Dir = filepath.Join(w.ctx, "src")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build hello-server: %w: %s", err, out)
	}
	return nil
}

// add adds the module at run i's version to go.mod/go.sum (with the host's go, through the module proxy) and
// a file importing it, as a dependency bump does. It fails when go get moves any other module.
func (d goDependency) add(w *workspace, i int) error {
	version := d.versions[i%len(d.versions)]
	imp := "package main\n\nimport _ \"" + d.module + "\"\n"
	if err := os.WriteFile(filepath.Join(w.ctx, "cmd", "server", "dep.go"), []byte(imp), 0o644); err != nil {
		return err
	}
	cmd := exec.Command("go", "get", d.module+"@"+version)
	cmd.Dir = w.ctx
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go get %s@%s: %w: %s", d.module, version, err, out)
	}
	if moved := movedModules(string(out), d.module); len(moved) > 0 {
		return fmt.Errorf("go get %s@%s moved other modules (%s): pick a module outside the app's graph", d.module, version, strings.Join(moved, "; "))
	}
	return nil
}

// movedModules are go get's "upgraded" and "downgraded" lines for modules other than module.
func movedModules(out, module string) []string {
	var moved []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "go:" && (f[1] == "upgraded" || f[1] == "downgraded") && f[2] != module {
			moved = append(moved, strings.Join(f[1:], " "))
		}
	}
	return moved
}

// contextFor is variant v's own copy of the context, brought up to date with the workspace's: a file whose
// content did not change keeps its modification time, as after a git checkout, so only what changed is sent.
// Each variant has its own because buildx names a context's snapshot on the builder by its directory's base
// name: from one directory, the variant that built first after a change would send the changed files for
// both, and the other's time would leave that transfer out.
func (w *workspace) contextFor(v variant) (string, error) {
	dst := filepath.Join(w.dir, w.ex.Name+"-"+strings.ToLower(v.Name))
	want := map[string]bool{".": true}
	err := copyFiles(w.ctx, dst, "", func(rel string, data []byte, perm fs.FileMode) error {
		for p := rel; p != "."; p = filepath.Dir(p) {
			want[p] = true // the file and the directories above it
		}
		target := filepath.Join(dst, rel)
		if old, err := os.ReadFile(target); err != nil || !bytes.Equal(old, data) {
			if err := os.WriteFile(target, data, perm); err != nil {
				return err
			}
		}
		return os.Chmod(target, perm)
	})
	if err != nil {
		return "", err
	}
	// What the workspace no longer has goes (a dependency change's new file, after a reset).
	var gone []string
	err = filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, _ := filepath.Rel(dst, p); !want[rel] {
			gone = append(gone, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	for _, p := range gone {
		if err == nil {
			err = os.RemoveAll(p)
		}
	}
	return dst, err
}

// copyFiles walks src: it makes each of its directories under dst (but skip, and what is below it) and hands
// fn each file's path relative to src, its content and its permissions.
func copyFiles(src, dst, skip string, fn func(rel string, data []byte, perm fs.FileMode) error) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if skip != "" && rel == skip {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return fn(rel, data, info.Mode().Perm())
	})
}
