//go:build integration

package integration

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStaticExampleBuildx hardens a prebuilt binary: the test builds examples/static's
// server into a copy of the example, marks it setuid and setgid, and builds the image
// through docker buildx; the image runs it as 65532 without those bits.
func TestStaticExampleBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "static")
	bin := filepath.Join(dir, "hello-server")
	buildStaticServer(t, dir, bin)
	if err := os.Chmod(bin, 0o6755); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/app/hello-server"}) {
		t.Errorf("user %q entrypoint %q", c.User, c.Entrypoint)
	}
	if got, want := c.Labels["org.opencontainers.image.base.digest"], registryDigest(t, "distroless/static-debian13:nonroot"); got != want {
		t.Errorf("base.digest label = %q, want the registry's %q", got, want)
	}
	files := flatFiles(t, img)
	h := files["/app/hello-server"]
	if h == nil {
		t.Fatal("no /app/hello-server")
	}
	if h.Mode&0o6000 != 0 || h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("/app/hello-server uid %d mode %o, want root-owned 0755 without setuid/setgid", h.Uid, h.Mode)
	}
	for f := range files {
		if slices.Contains([]string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/busybox"}, f) || filepath.Dir(f) == "/app/src" {
			t.Errorf("the image has %s", f)
		}
	}
	assertNoSetuid(t, img)

	assertServes(t, img)
}

// buildStaticServer compiles the static example's server (examples/static/src, copied to dir) to bin.
func buildStaticServer(t *testing.T, dir, bin string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = filepath.Join(dir, "src")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// TestStaticDebian12FailsEOL builds examples/static twice, by default and with debian: "12" in a copy of its
// spec: the first is on static-debian13 and passes hardened check's HX-SUPPLY-EOL; the second is on
// static-debian12, whose distroless images no longer get fixes, and fails it.
func TestStaticDebian12FailsEOL(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "static")
	buildStaticServer(t, dir, filepath.Join(dir, "hello-server"))
	spec := filepath.Join(dir, "hardened.yaml")
	old := filepath.Join(dir, "hardened-debian12.yaml")
	writeFile(t, old, string(readHost(t, spec))+"debian: \"12\"\n")
	for _, tc := range []struct {
		spec, base string
		pass       bool
	}{{spec, "gcr.io/distroless/static-debian13:nonroot", true}, {old, "gcr.io/distroless/static-debian12:nonroot", false}} {
		out := filepath.Join(t.TempDir(), "app.tar")
		build(t, st.Buildx(context.Background(), "build", "-f", tc.spec, "-o", "type=oci,dest="+out, dir))
		cf, err := only(t, ociImages(t, out)).ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		assertBase(t, cf.Config, tc.base)
		check := exec.Command("go", "run", "./cmd/hardened", "check", "--checks", "HX-SUPPLY-EOL", "--format", "json", out)
		check.Dir = repoRoot
		report, err := check.Output()
		var exit *exec.ExitError
		switch {
		case tc.pass && err != nil, !tc.pass && !(errors.As(err, &exit) && exit.ExitCode() == 1):
			t.Errorf("hardened check on %s: %v, want it to %s\n%s", tc.base, err, map[bool]string{true: "pass", false: "fail (exit 1)"}[tc.pass], report)
		}
		if !strings.Contains(string(report), "HX-SUPPLY-EOL") {
			t.Errorf("hardened check on %s does not report HX-SUPPLY-EOL:\n%s", tc.base, report)
		}
	}
}
