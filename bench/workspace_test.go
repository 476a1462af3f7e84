package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// S's Dockerfile copies no stage and no scratch, keeps --platform and the stage names, and refuses a base it
// cannot copy by tag.
func TestPeerDockerfileFrom(t *testing.T) {
	in := "FROM --platform=$BUILDPLATFORM golang:1.26 AS Build\nRUN x\nfrom build AS test\nFROM scratch\nCOPY --from=build /a /a\nFROM debian:12\n"
	got, bases, err := peerDockerfileFrom([]byte(in))
	want := "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.26" + peerTagSuffix + " AS Build\nRUN x\nfrom build AS test\nFROM scratch\n" +
		"COPY --from=build /a /a\nFROM debian:12" + peerTagSuffix + "\n"
	if err != nil || string(got) != want || !slices.Equal(bases, []string{"golang:1.26", "debian:12"}) {
		t.Errorf("got %q, %q, %v; want %q", got, bases, err, want)
	}
	for _, bad := range []string{"FROM golang@sha256:abc\n", "ARG V=1\nFROM golang:$V\n"} {
		if _, _, err := peerDockerfileFrom([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Each variant builds from a directory of its own (buildx names a context's snapshot by the directory's base
// name), which gets the workspace's changes: an unchanged file keeps its time, so the builder is not sent it
// again; a changed one is rewritten; one the workspace lost goes.
func TestContextForEachVariant(t *testing.T) {
	w := &workspace{ex: &example{Name: "go"}, dir: t.TempDir()}
	w.ctx = filepath.Join(w.dir, "go")
	for rel, data := range map[string]string{"go.mod": "module x\n", "cmd/server/main.go": "package main\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(w.ctx, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(w.ctx, rel), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := w.contextFor(variants[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.contextFor(variants[1])
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(a) == filepath.Base(b) || filepath.Base(a) == filepath.Base(w.ctx) {
		t.Fatalf("the variants' contexts share a base name: %s, %s (workspace %s)", a, b, w.ctx)
	}
	old := time.Unix(1000, 0)
	for _, rel := range []string{"go.mod", "cmd/server/main.go"} {
		if err := os.Chtimes(filepath.Join(a, rel), old, old); err != nil {
			t.Fatal(err)
		}
	}
	// A change, a new file; then the next run's copy.
	if err := os.WriteFile(filepath.Join(w.ctx, "cmd/server/main.go"), []byte("package main // changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.ctx, "cmd/server/dep.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.contextFor(variants[0]); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(a, "go.mod")); err != nil || !info.ModTime().Equal(old) {
		t.Errorf("go.mod, unchanged, was rewritten (%v)", err)
	}
	if got, err := os.ReadFile(filepath.Join(a, "cmd/server/main.go")); err != nil || string(got) != "package main // changed\n" {
		t.Errorf("main.go = %q, %v", got, err)
	}
	// The workspace back as it was: the new file goes from the copy too.
	if err := os.Remove(filepath.Join(w.ctx, "cmd/server/dep.go")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.contextFor(variants[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a, "cmd/server/dep.go")); !os.IsNotExist(err) {
		t.Errorf("dep.go is still in the variant's copy (%v)", err)
	}
}

// A workspace is the example as committed, without its bench/ Dockerfiles.
func TestNewWorkspaceCopiesTheExample(t *testing.T) {
	w, err := newWorkspace("..", &example{Name: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.remove()
	for _, rel := range []string{"go.mod", "hardened.yaml", filepath.Join("cmd", "server", "main.go")} {
		want, err := os.ReadFile(filepath.Join("..", "examples", "go", rel))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(w.ctx, rel)); err != nil || string(got) != string(want) || string(w.orig[rel]) != string(want) {
			t.Errorf("%s was not copied as it is (%v)", rel, err)
		}
	}
	if _, err := os.Stat(filepath.Join(w.ctx, "bench")); !os.IsNotExist(err) {
		t.Errorf("bench/ is in the workspace (%v)", err)
	}
	// S's Dockerfile is B's, after a syntax directive, on copies of B's bases; outside every context.
	b, err := os.ReadFile(filepath.Join("..", "examples", "go", "bench", "hardened.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	want := "# syntax=docker/dockerfile:1\n" + strings.NewReplacer(
		"FROM docker.io/library/golang:1.26-trixie AS build", "FROM docker.io/library/golang:1.26-trixie"+peerTagSuffix+" AS build",
		"FROM gcr.io/distroless/static-debian13:nonroot\n", "FROM gcr.io/distroless/static-debian13:nonroot"+peerTagSuffix+"\n").Replace(string(b))
	s, err := os.ReadFile(variants[2].file(w, w.ctx))
	if err != nil || string(s) != want {
		t.Errorf("S's Dockerfile =\n%s\nwant\n%s (%v)", s, want, err)
	}
	if !slices.Equal(w.peerBases, []string{"docker.io/library/golang:1.26-trixie", "gcr.io/distroless/static-debian13:nonroot"}) {
		t.Errorf("S's bases = %q", w.peerBases)
	}
	if filepath.Dir(w.syntaxDF) != w.dir {
		t.Errorf("S's Dockerfile %s is not beside the contexts", w.syntaxDF)
	}
}

// go get of uuid@v1.5.0 in gosvc, whose prometheus client needs v1.6.0, moved the client too: the deps case
// then measured a downgrade whose go.sum lacked entries, and every variant failed. Such a change is refused.
func TestMovedModules(t *testing.T) {
	out := "go: downgraded github.com/google/uuid v1.6.0 => v1.5.0\n" +
		"go: downgraded github.com/prometheus/client_golang v1.25.0 => v1.23.2\n" +
		"go: downgraded github.com/prometheus/common v0.72.0 => v0.67.2\n"
	got := movedModules(out, "github.com/google/uuid")
	if len(got) != 2 || got[0] != "downgraded github.com/prometheus/client_golang v1.25.0 => v1.23.2" {
		t.Errorf("moved %q, want the two prometheus modules", got)
	}
	if got := movedModules("go: downloading github.com/rs/xid v1.5.0\ngo: added github.com/rs/xid v1.5.0\n", "github.com/rs/xid"); len(got) != 0 {
		t.Errorf("an added module alone moved %q", got)
	}
}
