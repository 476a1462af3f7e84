package golang

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runScript runs one of the step scripts as the step does (sh -c SCRIPT NAME ARGS...) in dir, with
// GOCACHE set and a cgo-less, module-less go, and returns its output.
func runScript(t *testing.T, dir, gocache, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", script, "hardened-test"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOCACHE="+gocache, "GOFLAGS=", "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", strings.SplitN(script, "\n", 2)[0], args, err, out)
	}
	return string(out)
}

// The dependency script compiles the listed packages on the shared cache and copies into the layer
// what a build of them looks up there, and nothing of another package's: a build on a cache holding
// only the layer's entries compiles nothing.
func TestDepsScriptCopiesWhatABuildLooksUp(t *testing.T) {
	work, shared, layer := t.TempDir(), t.TempDir(), t.TempDir()
	list := filepath.Join(work, "packages")
	if err := os.WriteFile(list, []byte("unicode/utf8\nmath/bits\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another package, compiled on the shared cache with the same flags before: not the layer's.
	runScript(t, work, shared, `exec go build "$@"`, "-trimpath", "unicode/utf16")
	other := strings.TrimSpace(runScript(t, work, shared, `exec go list "$@"`, "-export", "-trimpath", "-f", "{{.Export}}", "unicode/utf16"))

	runScript(t, work, shared, depsScript, list, layer, "-v", "-trimpath")

	id, err := os.ReadFile(filepath.Join(layer, "id"))
	if err != nil || len(strings.TrimSpace(string(id))) == 0 {
		t.Fatalf("the layer has no id: %q %v", id, err)
	}
	if _, err := os.Stat(filepath.Join(shared, SeededDir, strings.TrimSpace(string(id)))); err != nil {
		t.Errorf("the shared cache has no marker of the layer it made: %v", err)
	}
	entries := filepath.Join(layer, "gocache")
	if _, err := os.Stat(filepath.Join(entries, filepath.Base(filepath.Dir(other)), filepath.Base(other))); err == nil {
		t.Errorf("the layer holds %s, unicode/utf16's archive, which the list does not name", other)
	}
	// GOCACHE must be writable: a copy of the layer's entries stands in for the compile's mount.
	fresh := t.TempDir()
	if err := os.CopyFS(fresh, os.DirFS(entries)); err != nil {
		t.Fatal(err)
	}
	if out := runScript(t, work, fresh, `exec go build -x "$@"`, "-trimpath", "unicode/utf8", "math/bits"); strings.Contains(out, "/compile ") {
		t.Errorf("a build on the layer's entries alone compiled again:\n%s", out)
	}
}

// The seed script adds the layer's entries the shared cache lacks, never replacing one, once per
// layer: with the layer's marker in the cache it copies nothing.
func TestSeedScriptCopiesOncePerLayer(t *testing.T) {
	work, shared, layer := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(path string) string {
		dt, _ := os.ReadFile(path)
		return string(dt)
	}
	write(filepath.Join(layer, "id"), "one\n")
	write(filepath.Join(layer, "gocache", "ab", "abc-d"), "layer")
	write(filepath.Join(layer, "gocache", "ab", "abd-d"), "layer")
	write(filepath.Join(shared, "ab", "abd-d"), "shared")
	ran := filepath.Join(work, "ran")

	if out := runScript(t, work, shared, seedScript, layer, "touch", ran); !strings.Contains(out, SeedMessage) {
		t.Errorf("the seed printed %q, want %q", out, SeedMessage)
	}
	if got := read(filepath.Join(shared, "ab", "abc-d")); got != "layer" {
		t.Errorf("the entry the cache lacked = %q, want the layer's", got)
	}
	if got := read(filepath.Join(shared, "ab", "abd-d")); got != "shared" {
		t.Errorf("the entry the cache had = %q, want it left as it was", got)
	}
	if _, err := os.Stat(ran); err != nil {
		t.Errorf("the compile did not run: %v", err)
	}

	// The marker says the cache has taken this layer: no copy, even of an entry gone since.
	if err := os.Remove(filepath.Join(shared, "ab", "abc-d")); err != nil {
		t.Fatal(err)
	}
	out := runScript(t, work, shared, seedScript, layer, "true")
	if _, err := os.Stat(filepath.Join(shared, "ab", "abc-d")); err == nil || strings.Contains(out, SeedMessage) {
		t.Errorf("the cache took the same layer twice (%q)", out)
	}
	// Another layer is taken.
	write(filepath.Join(layer, "id"), "two\n")
	runScript(t, work, shared, seedScript, layer, "true")
	if got := read(filepath.Join(shared, "ab", "abc-d")); got != "layer" {
		t.Errorf("after a new layer the entry = %q, want the layer's", got)
	}
}
