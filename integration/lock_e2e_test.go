//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
)

// TestLockFile: --target lock writes hardened.lock with the registry's digests; a
// build uses exactly those; a spec the lock no longer covers fails naming the entry.
func TestLockFile(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	lockPath := filepath.Join(dir, lockfile.Filename)
	l := lockExample(t, dir)
	for role, repo := range map[string]string{"builder": "library/golang:1.26-trixie", "base": "distroless/static-debian13:nonroot"} {
		_, dgst, ok := l.Entry("linux/amd64", role)
		if want := registryDigest(t, repo); !ok || dgst != want {
			t.Errorf("lock %s = %q, want the registry's %s", role, dgst, want)
		}
	}

	// The lock is used as written: an unchanged lock builds, and its base digest is the label.
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+out, dir))
	cf, _ := only(t, ociImages(t, out)).ConfigFile()
	_, baseDigest, _ := l.Entry("linux/amd64", "base")
	if got := cf.Config.Labels["org.opencontainers.image.base.digest"]; got != baseDigest {
		t.Errorf("base digest label = %s, want the lock's %s", got, baseDigest)
	}

	// A digest the registry does not have proves the build follows the lock, not the tag.
	bogus := "sha256:" + strings.Repeat("0", 64)
	locked := strings.Replace(string(readHost(t, lockPath)), baseDigest, bogus, 1)
	writeFile(t, lockPath, locked)
	log := buildFails(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", dir))
	if !strings.Contains(log, bogus) {
		t.Errorf("the build did not try the locked digest:\n%s", tail(log, 30))
	}

	// The spec moves to a toolchain the lock does not cover.
	writeFile(t, spec, strings.Replace(string(readHost(t, spec)), "language: go\n", "language: go\nversion: \"1.25\"\n", 1))
	log = buildFails(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", dir))
	for _, want := range []string{"images.linux/amd64.builder", "hardened lock"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(log, 30))
		}
	}
	assertNoGoStack(t, log)
	_ = os.Remove(lockPath)
}

// TestLockCommand: `hardened lock` writes the lock through docker buildx, `--check`
// passes on it, and fails once an entry no longer matches what a fresh lock would say.
func TestLockCommand(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	bin := filepath.Join(t.TempDir(), "hardened")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(repoRoot, "cmd", "hardened")).CombinedOutput(); err != nil {
		t.Fatalf("building hardened: %v\n%s", err, out)
	}
	dir := copyExample(t, "go")
	hardened := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), st.Env()...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := hardened("lock", dir); err != nil {
		t.Fatalf("hardened lock: %v\n%s", err, tail(out, 20))
	}
	lockPath := filepath.Join(dir, lockfile.Filename)
	if out, err := hardened("lock", "--check", dir); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("lock --check on a fresh lock: %v\n%s", err, tail(out, 20))
	}
	l, err := lockfile.Parse(lockPath, readHost(t, lockPath))
	if err != nil {
		t.Fatal(err)
	}
	_, base, _ := l.Entry("linux/amd64", "base")
	writeFile(t, lockPath, strings.Replace(string(readHost(t, lockPath)), base, "sha256:"+strings.Repeat("1", 64), 1))
	out, err := hardened("lock", "--check", dir)
	if err == nil || !strings.Contains(out, "stale") {
		t.Errorf("lock --check on a changed lock: err=%v\n%s", err, tail(out, 20))
	}
}

// TestLockPinsRuntimeLibs: for examples/go-cgo, --target lock records the Debian packages
// runtime.libs installs with their versions (those the image's label and package records
// show); a build with the lock holds apt's resolution to it, and a version the lock pins that
// Debian no longer serves fails the build naming the entry, with what to run.
func TestLockPinsRuntimeLibs(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go-cgo")
	spec := filepath.Join(dir, "hardened.yaml")
	lockPath := filepath.Join(dir, lockfile.Filename)
	l := lockExample(t, dir)
	pkgs, ok := l.PackagesFor("linux/amd64")
	if !ok || pkgs["libsqlite3-0"] == "" {
		t.Fatalf("the lock records no libsqlite3-0 for linux/amd64:\n%s", readHost(t, lockPath))
	}

	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	label := cf.Config.Labels[hllb.LabelRuntimeLibs]
	for name, v := range pkgs {
		if !strings.Contains(label, name+"="+v) {
			t.Errorf("the image's %s label %q lacks the locked %s=%s", hllb.LabelRuntimeLibs, label, name, v)
		}
	}
	records := packageRecords(t, img, flatFiles(t, img))
	for name, v := range pkgs {
		if records[name].version != v {
			t.Errorf("status.d says %s %q, the lock %q", name, records[name].version, v)
		}
	}

	// A version Debian does not serve: the build stops, naming the entry.
	writeFile(t, lockPath, strings.Replace(string(readHost(t, lockPath)), `libsqlite3-0: "`+pkgs["libsqlite3-0"]+`"`, `libsqlite3-0: "3.0.0-1"`, 1))
	log := buildFails(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", dir))
	for _, want := range []string{"packages.linux/amd64.libsqlite3-0 pins 3.0.0-1, but Debian now serves " + pkgs["libsqlite3-0"], "hardened lock", "hardened.yaml"} {
		if !strings.Contains(log, want) {
			t.Errorf("the failed build does not say %q:\n%s", want, tail(log, 30))
		}
	}
	assertNoGoStack(t, log)
}

// lockExample writes dir/hardened.lock with the frontend's lock target and returns it.
func lockExample(t *testing.T, dir string) *lockfile.Lock {
	t.Helper()
	build(t, st.Buildx(context.Background(), "build", "--target", "lock", "-f", filepath.Join(dir, "hardened.yaml"),
		"-o", "type=local,dest="+dir, dir))
	lockPath := filepath.Join(dir, lockfile.Filename)
	l, err := lockfile.Parse(lockPath, readHost(t, lockPath))
	if err != nil {
		t.Fatal(err)
	}
	return l
}
