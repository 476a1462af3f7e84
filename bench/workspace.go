package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// example is the app every variant builds, relative to the repository root.
const example = "examples/go"

// sourceLine is the line a source change edits: a string the binary serves, so the binary changes too.
const sourceLine = `"message": "hello from a hardened image"`

// depModule is the dependency a dependency change adds; each run takes another version so no run reuses the last
// one's module download.
const depModule = "github.com/google/uuid"

var depVersions = []string{"v1.6.0", "v1.5.0", "v1.4.0", "v1.3.1", "v1.3.0", "v1.2.0", "v1.1.5", "v1.1.4", "v1.1.3", "v1.1.2"}

// A workspace is a private copy of the example that builds edit, plus the variants' Dockerfiles.
type workspace struct {
	dir     string // temp root, removed at the end
	ctx     string // the build context: a copy of examples/go without bench/
	orig    map[string][]byte
	benchDF string // examples/go/bench in the repository
}

func newWorkspace(root string) (*workspace, error) {
	dir, err := os.MkdirTemp("", "hardened-bench")
	if err != nil {
		return nil, err
	}
	w := &workspace{dir: dir, ctx: filepath.Join(dir, "go"), orig: map[string][]byte{}, benchDF: filepath.Join(root, example, "bench")}
	src := filepath.Join(root, example)
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == "bench" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(w.ctx, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w.orig[rel] = data
		return os.WriteFile(filepath.Join(w.ctx, rel), data, 0o644)
	})
	if err != nil {
		w.remove()
		return nil, err
	}
	return w, nil
}

func (w *workspace) remove() { os.RemoveAll(w.dir) }

// reset puts the context back to the example as committed.
func (w *workspace) reset() error {
	os.Remove(filepath.Join(w.ctx, "cmd", "server", "dep.go"))
	for rel, data := range w.orig {
		if err := os.WriteFile(filepath.Join(w.ctx, rel), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// changeSource edits one line of main.go, marked with tag, so that the binary differs.
func (w *workspace) changeSource(tag string) error {
	rel := filepath.Join("cmd", "server", "main.go")
	orig := w.orig[rel]
	if !bytes.Contains(orig, []byte(sourceLine)) {
		return fmt.Errorf("%s/%s no longer has the line %s", example, rel, sourceLine)
	}
	changed := strings.Replace(string(orig), sourceLine, strings.TrimSuffix(sourceLine, `"`)+" ("+tag+`)"`, 1)
	return os.WriteFile(filepath.Join(w.ctx, rel), []byte(changed), 0o644)
}

// addDependency adds depModule at version to go.mod/go.sum (with the host's go, through the module proxy) and
// a file importing it, as a dependency bump does.
func (w *workspace) addDependency(version string) error {
	imp := "package main\n\nimport _ \"" + depModule + "\"\n"
	if err := os.WriteFile(filepath.Join(w.ctx, "cmd", "server", "dep.go"), []byte(imp), 0o644); err != nil {
		return err
	}
	cmd := exec.Command("go", "get", depModule+"@"+version)
	cmd.Dir = w.ctx
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go get %s@%s: %w: %s", depModule, version, err, out)
	}
	return nil
}
