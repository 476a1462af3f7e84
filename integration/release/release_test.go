package release

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestVersionHoldsTagAndChangelog(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "VERSION"), []byte("1.2.3\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte("# Changelog\n\n## 1.2.3 - 2026-12-07\n\n- x\n"), 0o644)
	if v, err := Version(dir, "v1.2.3"); err != nil || v != "1.2.3" {
		t.Errorf("Version = %q, %v; want 1.2.3", v, err)
	}
	if _, err := Version(dir, "v1.2.4"); err == nil || !strings.Contains(err.Error(), "not v1.2.3") {
		t.Errorf("a tag that is not VERSION gave %v", err)
	}
	os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte("## 1.2.30\n"), 0o644)
	if _, err := Version(dir, ""); err == nil || !strings.Contains(err.Error(), "CHANGELOG.md") {
		t.Errorf("a CHANGELOG without the version gave %v", err)
	}
	os.WriteFile(filepath.Join(dir, "VERSION"), []byte("v1.2\n"), 0o644)
	if _, err := Version(dir, ""); err == nil {
		t.Error("VERSION v1.2 was accepted")
	}
}

// The repository's own VERSION must have its CHANGELOG section, or the next release fails at its first step.
func TestRepositoryVersion(t *testing.T) {
	if _, err := Version("../..", ""); err != nil {
		t.Fatal(err)
	}
}

func TestImageRefs(t *testing.T) {
	got := strings.Join(ImageRefs("ghcr.io/hardenedbuild/hardened", "1.4.2"), " ")
	want := "ghcr.io/hardenedbuild/hardened:1.4.2 ghcr.io/hardenedbuild/hardened:1.4 ghcr.io/hardenedbuild/hardened:1"
	if got != want {
		t.Errorf("ImageRefs = %s, want %s", got, want)
	}
}

func TestCheckBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads this test binary as ELF")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckBinary(exe, "linux", runtime.GOARCH); err != nil {
		t.Error(err)
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if other != "" && CheckBinary(exe, "linux", other) == nil {
		t.Errorf("a %s binary passed as %s", runtime.GOARCH, other)
	}
	if CheckBinary(exe, "darwin", "arm64") == nil {
		t.Error("an ELF binary passed as Mach-O")
	}
}
