//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The base scan and the self-check run as build steps of the frontend's own image (frontend/selfcheck.go), so
// BuildKit caches them. These tests hold both to what they did when the frontend read the trees itself: a base
// with setuid files ships without the bits, and a broken guarantee fails the build, the second time too, when
// the check's step comes from the cache.

const verifyStepName = "verify the image's guarantees (no setuid/setgid file, non-root user, exec-form entrypoint)"

// TestBaseSetuidStripped builds examples/go on Debian (whose su, mount and passwd are setuid root) in place of
// distroless: the scan step finds them and the image's merged view has none left.
func TestBaseSetuidStripped(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-context", "gcr.io/distroless/static-debian12=docker-image://docker.io/library/debian:bookworm",
		"--progress", "plain", "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, "for setuid/setgid files") {
		t.Errorf("no base scan step in the progress:\n%s", tail(log, 40))
	}
	img := only(t, ociImages(t, out))
	// The base layers keep their bits (they are Debian's, shared with every image on it); the layer the
	// frontend adds clears them, so the filesystem the container runs has none.
	setuidInBase := 0
	for _, h := range layerHeaders(t, img) {
		if h.Mode&0o6000 != 0 {
			setuidInBase++
		}
	}
	if setuidInBase == 0 {
		t.Fatalf("the Debian stand-in has no setuid file in its layers: the test proves nothing")
	}
	for name, h := range flatFiles(t, img) {
		if h.Mode&0o6000 != 0 {
			t.Errorf("%s has mode %o (setuid/setgid) in the image's filesystem", name, h.Mode)
		}
	}
	if su := flatFiles(t, img)["/usr/bin/su"]; su == nil || su.Mode&0o111 == 0 {
		t.Errorf("/usr/bin/su should stay, executable, without its setuid bit: %v", su)
	}
}

// TestSelfCheckFailsFromCache: an entrypoint that is not in the image breaks HX-CONFIG-ENTRYPOINT; the build
// fails naming the check and hardened.yaml, and fails again when nothing changed and the check is CACHED.
func TestSelfCheckFailsFromCache(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	// A path of its own, so that the first build's check is not in the cache of an earlier run.
	missing := fmt.Sprintf("/app/not-there-%d", time.Now().UnixNano())
	writeFile(t, spec, string(data)+"entrypoint: [\""+missing+"\"]\n")
	for i, wantCached := range []bool{false, true} {
		log := buildFails(t, st.Buildx(context.Background(), "build", "-f", spec, "--progress", "plain", dir))
		for _, want := range []string{"[HX-CONFIG-ENTRYPOINT]", missing, "hardened.yaml:4"} {
			if !strings.Contains(log, want) {
				t.Errorf("build %d: the output does not say %q:\n%s", i+1, want, tail(log, 30))
			}
		}
		if strings.Contains(log, "goroutine ") {
			t.Errorf("build %d: a Go stack trace:\n%s", i+1, tail(log, 30))
		}
		// buildx asks for provenance by default, and with attestations the step writes the check report too.
		if got := stepCached(log, verifyStepName) || stepCached(log, verifyStepName+" and write the check report"); got != wantCached {
			t.Errorf("build %d: the self-check step CACHED = %v, want %v:\n%s", i+1, got, wantCached, tail(log, 30))
		}
		// The base scan is keyed by the base's digest: the second build reads it from the cache.
		scan := regexp.MustCompile(`(?m)^#\d+ (scan \S+ for setuid/setgid files)\s*$`).FindStringSubmatch(log)
		if scan == nil {
			t.Errorf("build %d: no base scan step in the progress:\n%s", i+1, tail(log, 30))
		} else if i == 1 && !stepCached(log, scan[1]) {
			t.Errorf("build 2: %q was not CACHED:\n%s", scan[1], tail(log, 30))
		}
	}
}
