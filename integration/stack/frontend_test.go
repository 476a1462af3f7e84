package stack

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFrontendCacheArgs(t *testing.T) {
	if got := (&Stack{}).frontendCacheArgs(); got != nil {
		t.Errorf("no cache dir: %q, want no cache flags", got)
	}
	s := &Stack{CacheDir: t.TempDir()}
	dir := filepath.Join(s.CacheDir, "frontend-build-cache")
	export := "type=local,mode=min,dest=" + dir
	if got, want := s.frontendCacheArgs(), []string{"--export-cache", export}; !slices.Equal(got, want) {
		t.Errorf("first build: %q, want %q (nothing to import yet)", got, want)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := s.frontendCacheArgs(), []string{"--export-cache", export, "--import-cache", "type=local,src=" + dir}; !slices.Equal(got, want) {
		t.Errorf("later build: %q, want %q", got, want)
	}
	// Past the size limit the cache starts over.
	big := filepath.Join(dir, "blob")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(frontendCacheMax + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	if got := dirSize(dir); got <= frontendCacheMax {
		t.Fatalf("dirSize = %d, want more than %d", got, frontendCacheMax)
	}
	if got := s.frontendCacheArgs(); len(got) != 2 {
		t.Errorf("oversized cache: %q, want only the export", got)
	}
	if _, err := os.Stat(big); !os.IsNotExist(err) {
		t.Errorf("the oversized cache is still there: %v", err)
	}
}
