package frontend

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
)

// A tree listed at once walks exactly as the view it lists.
func TestListTreeWalksAsTheView(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/b/c", "a/d", "e", "f/g/h/i/j"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range []string{"a/b/c/x", "a/y", "e/z", "f/g/h/i/j/w", "top"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "a/y"), 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../a", filepath.Join(root, "e/loop")); err != nil {
		t.Fatal(err)
	}
	view := audit.DirFS(root)
	walk := func(fsys audit.FS) []string {
		var out []string
		if err := audit.Walk(t.Context(), fsys, "/", func(e audit.Entry) error {
			out = append(out, e.Path+" "+e.Mode.String())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	tree, err := listTree(t.Context(), view)
	if err != nil {
		t.Fatal(err)
	}
	want, got := walk(view), walk(tree)
	if len(want) != 16 || len(got) != len(want) {
		t.Fatalf("walked %d entries through the tree, %d through the view: %q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %s, want %s", i, got[i], want[i])
		}
	}
	special, err := audit.SpecialFiles(t.Context(), tree)
	if err != nil || len(special) != 1 || special[0].Path != "/a/y" {
		t.Errorf("special files %v, %v; want /a/y", special, err)
	}
}
