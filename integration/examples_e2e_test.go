//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// example is what the e2e tests that repeat one pattern over the examples need of each.
type example struct {
	name string
	// entrypoint and base are the image's config, as the example's build must set them (nil: not
	// checked by assertExampleConfig).
	entrypoint []string
	base       string
	// change is a one-line source edit: in file (relative to the example), old becomes new, whose %d
	// takes a number unique to the run. deps is the dependency step a source change must keep CACHED
	// and changed the step it must run again, each with what the error calls it.
	change *sourceChange
}

type sourceChange struct {
	file, old, new       string
	deps, depsWhat       string
	changed, changedWhat string
}

var examples = []example{
	{name: "go", change: &sourceChange{
		file: "cmd/server/main.go", old: "hello from a hardened image", new: "hello again %d",
		deps: "go mod download, and stage the modules for the offline compile", depsWhat: "go mod download",
		changed: "compile ./cmd/server for linux/amd64", changedWhat: "the compile",
	}},
	{name: "node", entrypoint: []string{"/nodejs/bin/node", "/app/server.js"}, base: "gcr.io/distroless/nodejs26-debian13:nonroot",
		change: &sourceChange{
			file: "lib/greeting.js", old: "hello, ", new: "hello %d, ",
			deps: "npm ci --omit=dev", depsWhat: "npm ci",
			changed: "copy source", changedWhat: "the source copy",
		}},
	{name: "python", entrypoint: []string{"/app/.venv/bin/python", "/app/server.py"}, base: "gcr.io/distroless/python3-debian13:nonroot",
		change: &sourceChange{
			file: "hello/__init__.py", old: `"hello, "`, new: `"hello %d, "`,
			deps: "python3 -m pip --python /venv/bin/python install --no-compile -r requirements.txt", depsWhat: "pip install",
			changed: "copy source", changedWhat: "the source copy",
		}},
	{name: "rust", entrypoint: []string{"/app/server"}, base: "gcr.io/distroless/cc-debian13:nonroot"},
}

func exampleNamed(t *testing.T, name string) example {
	t.Helper()
	for _, e := range examples {
		if e.name == name {
			return e
		}
	}
	t.Fatalf("no example %q in the table", name)
	return example{}
}

// TestExampleSourceChangeReusesDeps: a one-line change in an example's app runs its compile or source
// copy again but keeps the dependency step (go mod download, npm ci, pip install) cached. After the
// example's Buildx test the first build is all cache hits.
func TestExampleSourceChangeReusesDeps(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	for _, e := range examples {
		if e.change == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			c := e.change
			dir := copyExample(t, e.name)
			args := []string{"build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain", dir}
			build(t, st.Buildx(context.Background(), args...))

			src := filepath.Join(dir, filepath.FromSlash(c.file))
			writeFile(t, src, strings.Replace(string(readHost(t, src)), c.old, fmt.Sprintf(c.new, time.Now().UnixNano()), 1))
			log := build(t, st.Buildx(context.Background(), args...))

			if !stepCached(log, c.deps) {
				t.Errorf("%s was not CACHED after a source change:\n%s", c.depsWhat, tail(log, 40))
			}
			if stepCached(log, c.changed) {
				t.Errorf("%s was CACHED although the source changed", c.changedWhat)
			}
		})
	}
}

// assertExampleConfig checks the image config every example's build sets: the numeric non-root user,
// the example's entrypoint and its base.
func assertExampleConfig(t *testing.T, name string, c v1.Config) {
	t.Helper()
	e := exampleNamed(t, name)
	if c.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, e.entrypoint) {
		t.Errorf("entrypoint = %q", c.Entrypoint)
	}
	assertBase(t, c, e.base)
}
