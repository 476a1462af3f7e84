package frontend

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// The context files are read from the local context early only when the main context dockerui hands out
// is that local: its excludes are then applied to them; anything else is read from the main context.
func TestLocalExcludes(t *testing.T) {
	ctx := context.Background()
	excludes := []string{"*.md", "!README.md"}
	main := dockerui.DefaultMainContext(bkllb.SessionID("s1"), bkllb.ExcludePatterns(excludes))
	got, ok := localExcludes(ctx, *main, "s1")
	if !ok || !slices.Equal(got, excludes) {
		t.Fatalf("dockerui's main context: excludes %q, %v; want %q, true", got, ok, excludes)
	}
	if got, ok := localExcludes(ctx, *dockerui.DefaultMainContext(bkllb.SessionID("s1")), "s1"); !ok || len(got) != 0 {
		t.Errorf("without a .dockerignore: excludes %q, %v; want none, true", got, ok)
	}
	git := bkllb.Git("https://example.com/app.git", "main")
	for name, st := range map[string]bkllb.State{
		"another session":      *main,
		"a git context":        git,
		"another local":        bkllb.Local("dockerfile", bkllb.SessionID("s1")),
		"a subdirectory of it": bkllb.Scratch().File(bkllb.Copy(*main, "/sub", "/")),
		"a partial read":       *dockerui.DefaultMainContext(bkllb.SessionID("s1"), bkllb.FollowPaths([]string{"go.mod"})),
	} {
		session := "s1"
		if name == "another session" {
			session = "s2"
		}
		if _, ok := localExcludes(ctx, st, session); ok {
			t.Errorf("%s is taken for the local context", name)
		}
	}
}

func TestWithoutExcluded(t *testing.T) {
	files := hllb.Files{"go.sum": nil, "package-lock.json": nil, ".cargo/config.toml": nil, "rust-toolchain.toml": nil}
	for _, tc := range []struct {
		excludes []string
		want     []string
	}{
		{nil, []string{".cargo/config.toml", "go.sum", "package-lock.json", "rust-toolchain.toml"}},
		{[]string{"go.sum"}, []string{".cargo/config.toml", "package-lock.json", "rust-toolchain.toml"}},
		{[]string{"*", "!go.sum"}, []string{"go.sum"}},
		{[]string{".cargo"}, []string{"go.sum", "package-lock.json", "rust-toolchain.toml"}},
		{[]string{"**/*.toml"}, []string{"go.sum", "package-lock.json"}},
		{[]string{"./package-lock.json"}, []string{".cargo/config.toml", "go.sum", "rust-toolchain.toml"}},
	} {
		got, err := withoutExcluded(files, tc.excludes, nil)
		if err != nil {
			t.Fatal(err)
		}
		if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, tc.want) {
			t.Errorf("excludes %q leave %q, want %q", tc.excludes, names, tc.want)
		}
	}
	if _, err := withoutExcluded(files, []string{"[a-"}, nil); err == nil {
		t.Error("a malformed pattern is not reported")
	}
}

// A file the language cannot build without, excluded, is said to be excluded (npm would say ENOENT).
func TestNeededFileExcluded(t *testing.T) {
	var neededFiles []string
	for _, l := range registry.All() {
		neededFiles = append(neededFiles, l.Inputs().Needed...)
	}
	if len(neededFiles) == 0 {
		t.Fatal("no language declares a file it cannot build without")
	}
	for _, name := range neededFiles {
		for _, excludes := range [][]string{{name}, {"*"}, {"./" + name}, {"*.json", "*.mod"}} {
			_, err := withoutExcluded(hllb.Files{name: nil, "README.md": nil}, excludes, neededFiles)
			var ex *excludedError
			if !errors.As(err, &ex) || ex.name != name || !strings.Contains(err.Error(), "no "+name+" at the root of the build context: .dockerignore excludes it") {
				t.Errorf("%s excluded by %q: %v", name, excludes, err)
			}
		}
		if got, err := withoutExcluded(hllb.Files{name: nil}, []string{"*", "!" + name}, neededFiles); err != nil || len(got) != 1 {
			t.Errorf("%s re-included: %v, %v", name, got, err)
		}
	}
}

// A project file that is a symlink out of the context is named as such, not read as missing.
func TestProjectFileLinkingOut(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "go.mod")
	if err := os.WriteFile(outside, []byte("module secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "real.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"go.mod": outside, "package.json": "real.json", "Cargo.toml": "../../x/Cargo.toml", "pom.xml": "./sub/../../pom.xml"} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	files, errs, err := readRef(t.Context(), &dirRef{root: root}, []string{"go.mod", "package.json", "Cargo.toml", "pom.xml"})
	if err != nil {
		t.Fatal(err)
	}
	if string(files["package.json"]) != "{}" || len(files) != 1 {
		t.Errorf("files %q, want package.json (a link inside the context) alone", slices.Sorted(maps.Keys(files)))
	}
	for _, n := range []string{"go.mod", "Cargo.toml", "pom.xml"} {
		var lo *linkOutError
		if !errors.As(errs[n], &lo) || !strings.Contains(errs[n].Error(), n+" is a symlink to ") || !strings.HasSuffix(errs[n].Error(), "which leaves the build context") {
			t.Errorf("%s: %v", n, errs[n])
		}
	}
}

// dirRef is a gateway reference over a directory: ReadFile and ReadDir answer as the gateway does for a
// solved reference (a directory lists its entries, not their contents; a read of a directory fails).
type dirRef struct {
	gwclient.Reference
	root  string
	calls atomic.Int64
}

func (r *dirRef) ReadFile(_ context.Context, req gwclient.ReadRequest) ([]byte, error) {
	r.calls.Add(1)
	return os.ReadFile(filepath.Join(r.root, req.Filename))
}

func (r *dirRef) ReadDir(_ context.Context, req gwclient.ReadDirRequest) ([]*fstypes.Stat, error) {
	r.calls.Add(1)
	entries, err := os.ReadDir(filepath.Join(r.root, req.Path))
	if err != nil {
		return nil, err
	}
	var out []*fstypes.Stat
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		st := &fstypes.Stat{Path: e.Name(), Mode: uint32(info.Mode())}
		if info.Mode()&os.ModeSymlink != 0 {
			st.Linkname, _ = os.Readlink(filepath.Join(r.root, req.Path, e.Name()))
		}
		out = append(out, st)
	}
	return out, nil
}

// The files present are found by listing the directories that hold them, not by a read per name; a pipe
// is not taken for one (its read would wait for a writer).
func TestPresentNamesListsTheirDirectories(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{".cargo", "gradlew.d", "pom.xml"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"go.mod", ".cargo/config.toml", "README.md"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "package.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := &dirRef{root: root}
	names := []string{".cargo/config", ".cargo/config.toml", "Cargo.toml", "go.mod", "package.json", "pom.xml", "x/y/z.toml"}
	got, _, err := presentNames(t.Context(), ref, names)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".cargo/config.toml", "go.mod", "pom.xml"}; !slices.Equal(got, want) {
		t.Errorf("present = %q, want %q", got, want)
	}
	if ref.calls.Load() != 2 { // the root and .cargo; x is not in the root
		t.Errorf("%d listings, want 2", ref.calls.Load())
	}
}

// readEach keeps a name's own error apart: a directory where a file should be fails that name only.
func TestReadEachKeepsEachNamesError(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "package.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := &dirRef{root: root}
	files, errs, err := readRef(t.Context(), ref, []string{"go.mod", "package.json", "Cargo.toml"})
	if err != nil {
		t.Fatal(err)
	}
	if string(files["go.mod"]) != "module x\n" || len(files) != 1 {
		t.Errorf("files = %q, want go.mod alone", slices.Sorted(maps.Keys(files)))
	}
	if e := errs["package.json"]; e == nil || !strings.Contains(e.Error(), "reading package.json from the build context") {
		t.Errorf("package.json error = %v", e)
	}
	if len(errs) != 1 {
		t.Errorf("errs = %v, want package.json's alone", errs)
	}
}

// Lock files wait for their language; every language's other context files are read ahead.
func TestAheadNamesLeaveLockFilesOut(t *testing.T) {
	got := aheadNames()
	for _, want := range []string{"go.mod", "package.json", "pom.xml", "Cargo.toml", "requirements.txt", ".cargo/config.toml"} {
		if !slices.Contains(got, want) {
			t.Errorf("aheadNames lacks %s: %q", want, got)
		}
	}
	for _, lang := range registry.All() {
		l := lang.Name()
		for _, n := range lang.Inputs().Files() {
			isLock := strings.HasSuffix(n, ".lock") || strings.Contains(n, "-lock.")
			if isLock == slices.Contains(got, n) {
				t.Errorf("%s's %s: read ahead %v, lock file %v", l, n, !isLock, isLock)
			}
		}
	}
}
