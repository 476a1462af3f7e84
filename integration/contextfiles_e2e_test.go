//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestDockerignoreHidesContextFiles: the files a language reads before converting (go.mod here) are read
// from the local context while dockerui reads its .dockerignore, and what the .dockerignore excludes is
// then left out, a !pattern re-including it, as the build context's own transfer does.
func TestDockerignoreHidesContextFiles(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	for name, tc := range map[string]struct{ ignore, want string }{
		"excluded": {"go.mod\n", "hardened.yaml:2:11: language: no go.mod at the root of the build context"},
		// read, so its go line picks the toolchain, which the local registry does not have
		"re-included": {"*\n!go.mod\n", "cannot resolve docker.io/library/golang:1.99-trixie for linux/amd64"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.99\n")
			writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
			writeFile(t, filepath.Join(dir, ".dockerignore"), tc.ignore)
			spec := filepath.Join(dir, "hardened.yaml")
			writeFile(t, spec, "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [.]\n")
			out := buildFails(t, st.Buildx(ctx, "build", "-f", spec, dir))
			if !strings.Contains(out, tc.want) {
				t.Errorf("the build's error lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestOtherLanguagesFilesDoNotMatter: every language's project files are read with the spec, before the
// language is known; those of other languages are left alone, even a pipe that would block a read or a
// directory where a file should be.
func TestOtherLanguagesFilesDoNotMatter(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26\n")
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
	writeFile(t, filepath.Join(dir, "Cargo.toml"), "this is [not toml\n")
	if err := syscall.Mkfifo(filepath.Join(dir, "package.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "pom.xml"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [.]\n")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+out, dir))
	only(t, ociImages(t, out))
}

// TestContextIsNotSentAgain: a rebuild with nothing changed does not send the build context's files again.
// The project files (go.mod ...) are read from the same local context, by name, before the context is, and
// that read is stopped once the spec names a language that reads none (static): neither may leave the
// builder's copy of the context without the files it did not name (the next build would then send them
// all again: a large context on every build).
func TestContextIsNotSentAgain(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	const size = 4 << 20
	blob := make([]byte, size)
	for i := range blob {
		blob[i] = byte(i * 7919 >> 3)
	}
	for name, tc := range map[string]struct {
		spec  string
		files map[string]string
	}{
		"go": {"language: go\nartifacts: [.]\n", map[string]string{
			"go.mod": "module example.com/app\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {}\n"}},
		// the large file is the prebuilt artifact itself
		"static": {"language: static\nartifacts: [./data.bin]\n", nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// buildx names the builder's copy of a context by its directory's base name: one of its own
			dir := filepath.Join(t.TempDir(), "not-sent-again-"+name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for f, data := range tc.files {
				writeFile(t, filepath.Join(dir, f), data)
			}
			if err := os.WriteFile(filepath.Join(dir, "data.bin"), blob, 0o755); err != nil {
				t.Fatal(err)
			}
			spec := filepath.Join(dir, "hardened.yaml")
			writeFile(t, spec, "# syntax=ghcr.io/hardenedbuild/hardened:1\n"+tc.spec)
			for i := range 3 {
				out := filepath.Join(t.TempDir(), "app.tar")
				log := build(t, st.Buildx(ctx, "build", "--progress", "plain", "-f", spec, "-o", "type=oci,dest="+out, dir))
				sent, ok := transferred(log, "context")
				if !ok {
					t.Fatalf("build %d: no transfer of the build context in the log:\n%s", i+1, tail(log, 40))
				}
				if i == 0 && sent < size {
					t.Fatalf("build %d sent %d bytes of the build context; it holds a %d-byte file", i+1, sent, size)
				}
				if i > 0 && sent >= size/4 {
					t.Errorf("rebuild %d with no change sent %d bytes of the build context again:\n%s", i, sent, tail(log, 40))
				}
			}
		})
	}
}

// transferred adds up what buildx's plain progress says was sent of the local named name
// ("#5 transferring context: 4.20MB 0.1s done").
func transferred(log, name string) (int64, bool) {
	re := regexp.MustCompile(`(?m)^#\d+ transferring ` + regexp.QuoteMeta(name) + `: ([0-9.]+)([kMG]?B)(?: [0-9.]+s)? done`)
	var total float64
	found := false
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			continue
		}
		total += v * map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m[2]]
		found = true
	}
	return int64(total), found
}
