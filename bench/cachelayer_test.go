package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tarOf(t *testing.T, names ...string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Typeflag: tar.TypeReg}
		if strings.HasSuffix(n, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// A layer is the dependency layer when it holds a file (or a whiteout) under the layer's directory, and only then.
func TestHoldsPath(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  bool
	}{
		{[]string{"hardened/", "hardened/go-deps-layer/gocache/ab/ab12-d"}, true},
		{[]string{"./hardened/go-deps-layer/id"}, true},
		{[]string{"root/.cache/cargo-target/release/.wh.server"}, false},
		{[]string{"hardened/go-deps/packages", "src/main.go"}, false},
		{nil, false},
	} {
		got, err := holdsPath(tarOf(t, tc.names...), goDepsLayer)
		if err != nil || got != tc.want {
			t.Errorf("holdsPath(%v) = %v, %v; want %v", tc.names, got, err, tc.want)
		}
	}
	if got, _ := holdsPath(tarOf(t, "root/.cache/cargo-target/release/.wh.server"), rustDepsLayer); !got {
		t.Error("a whiteout in rust's target directory is not the dependency layer's")
	}
	if _, err := holdsPath(strings.NewReader("not a tar stream, long enough to fail the header read............"), goDepsLayer); err == nil {
		t.Error("a broken layer reads as one without the path")
	}
}

// What a build pulled is read from the registry's log, blob GETs only; the ci rebuild's own layers are the blobs
// the cold export build did not pull, whichever repository served them.
func TestPulledOwnLayers(t *testing.T) {
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	digest := func(c byte) string { return strings.Repeat(string(c), 64) }
	for c, size := range map[byte]int{'a': 100, 'b': 30, 'c': 7} {
		if err := os.WriteFile(filepath.Join(blobs, digest(c)), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &registryLog{blobs: blobs}
	export, err := r.sum(strings.NewReader("2026/12/07 06:16:10 GET /v2/library/golang/blobs/sha256:" + digest('a') + "?ns=docker.io"))
	if err != nil || export.total != 100 {
		t.Fatalf("export pulled %+v, %v; want 100", export, err)
	}
	log := strings.Join([]string{
		"2026/12/07 06:16:16 GET /v2/bench-cache/blobs/sha256:" + digest('a'), // the builder's layer, from the cache
		"2026/12/07 06:16:17 GET /v2/bench-cache/blobs/sha256:" + digest('b'),
		"2026/12/07 06:16:17 GET /v2/bench-cache/manifests/go-A-0",
		"2026/12/07 06:16:18 GET /v2/bench-cache/blobs/sha256:" + digest('c'),
		"2026/12/07 06:16:18 HEAD /v2/bench-cache/blobs/sha256:" + digest('a'),
		"2026/12/07 06:16:19 GET /v2/bench-cache/blobs/sha256:" + digest('d'), // not stored: a failed request
	}, "\n")
	rebuild, err := r.sum(strings.NewReader(log))
	if err != nil || rebuild.total != 137 {
		t.Fatalf("rebuild pulled %+v, %v; want 137", rebuild, err)
	}
	if own := ownLayers(rebuild.blobs, export.blobs); own != 37 {
		t.Errorf("own layers = %d, want 37 (b and c, not the builder's a)", own)
	}
}
