package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/rebase"
)

func TestRebaseUsage(t *testing.T) {
	for what, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no --base":       {[]string{"rebase", "registry.internal/app:1"}, exitUsage, "want one image and --base"},
		"no image":        {[]string{"rebase", "--base", "gcr.io/distroless/static-debian13@sha256:" + strings.Repeat("a", 64)}, exitUsage, "want one image and --base"},
		"bad key":         {[]string{"rebase", "registry.internal/app:1", "--base", "gcr.io/x@sha256:" + strings.Repeat("a", 64), "--key", "/nonexistent/key.pem"}, exitUsage, "key.pem"},
		"base not pinned": {[]string{"rebase", "registry.internal/app:1", "--base", "gcr.io/distroless/static-debian13:nonroot"}, exitFail, "--base names no digest"},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", what, code, c.code, c.want, errb.String())
		}
	}
}

func TestRebaseLock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, lockfile.Filename)
	old, newer := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	l := lockfile.New()
	l.Set("linux/amd64", "base", "gcr.io/distroless/static-debian13:nonroot", old)
	l.Set("linux/arm64", "base", "gcr.io/distroless/static-debian13:nonroot", old)
	l.Set("linux/amd64", "builder", "docker.io/library/golang:1.26-trixie", old)
	if err := os.WriteFile(p, l.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, name, err := readLockBase(p)
	if err != nil || name != "gcr.io/distroless/static-debian13:nonroot" {
		t.Fatalf("readLockBase: %q %v", name, err)
	}
	if err := writeLockBase(p, got, &rebase.Result{BaseDigest: newer, Platforms: []rebase.Platform{{Platform: "linux/amd64"}, {Platform: "linux/arm64"}}}); err != nil {
		t.Fatal(err)
	}
	back, err := lockfile.Parse(p, mustRead(t, p))
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range []string{"linux/amd64", "linux/arm64"} {
		if ref, d, _ := back.Entry(pl, "base"); ref != name || d != newer {
			t.Errorf("%s base = %s@%s, want %s@%s", pl, ref, d, name, newer)
		}
	}
	if _, d, _ := back.Entry("linux/amd64", "builder"); d != old {
		t.Errorf("the builder entry moved to %s", d)
	}
	// A platform the lock does not cover is an error, not a silent skip.
	if err := writeLockBase(p, back, &rebase.Result{BaseDigest: newer, Platforms: []rebase.Platform{{Platform: "linux/s390x"}}}); err == nil || !strings.Contains(err.Error(), "linux/s390x") {
		t.Errorf("a platform without a base entry: %v", err)
	}

	// Two platforms on different images: rebase cannot name one base for both.
	l.Set("linux/arm64", "base", "gcr.io/distroless/base-debian13:nonroot", old)
	if err := os.WriteFile(p, l.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readLockBase(p); err == nil || !strings.Contains(err.Error(), "different images") {
		t.Errorf("mixed bases: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	dt, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}
