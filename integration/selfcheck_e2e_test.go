//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The self-check (frontend/selfcheck.go) has two shapes. Without attestations, a cached step of the
// frontend's own image lists the base's setuid/setgid files, they are cleared in a layer on top, the
// definition proves the build adds no such bit and the config guarantees are checked on the result. With
// attestations (buildx asks for provenance by default), a step walks the whole built tree, clears every bit
// it finds, checks the guarantees and writes the check report. These tests hold both to what the frontend
// did when it scanned the base first: a base with setuid files ships without the bits, and a broken
// guarantee fails the build, the second time too, when the steps come from the cache.

const (
	verifyStepName  = "clear setuid/setgid bits, then verify the image's guarantees (none left, non-root user, exec-form entrypoint)"
	specialStepName = "list the base's setuid/setgid files (cleared on top of the image)"
	stripStepName   = "strip setuid/setgid bits from the base"
)

// TestBaseSetuidStripped builds examples/go on Debian (whose su, mount and passwd are setuid root) in place of
// distroless, with and without attestations: their bits are cleared in one layer on top that holds those
// files alone, and the image's merged view has none left.
func TestBaseSetuidStripped(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	for _, tc := range []struct {
		name      string
		args      []string
		wantSteps []string
	}{
		{"attestations", nil, []string{verifyStepName + " and write the check report"}},
		{"no attestations", []string{"--provenance=false", "--sbom=false"}, []string{specialStepName, stripStepName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "app.tar")
			args := append([]string{"build", "-f", filepath.Join(dir, "hardened.yaml"),
				"--build-context", "gcr.io/distroless/static-debian13=docker-image://docker.io/library/debian:trixie",
				"--progress", "plain", "-o", "type=oci,dest=" + out}, tc.args...)
			log := build(t, st.Buildx(context.Background(), append(args, dir)...))
			for _, step := range tc.wantSteps {
				if !strings.Contains(log, step) {
					t.Errorf("no step %q in the progress:\n%s", step, tail(log, 40))
				}
			}
			if tc.args != nil && strings.Contains(log, verifyStepName) {
				t.Errorf("without attestations a step walks the whole image (%q):\n%s", verifyStepName, tail(log, 40))
			}
			if m := prepareStep.FindString(log); tc.args != nil && m != "" {
				t.Errorf("the listing step unpacks the base, yet a prepare step ran too (%q):\n%s", m, tail(log, 40))
			}
			assertSetuidCleared(t, only(t, ociImages(t, out)))
		})
	}
}

// assertSetuidCleared: the base layers keep their bits (they are Debian's, shared with every image on it);
// the layer the frontend adds on top clears them, so the filesystem the container runs has none.
func assertSetuidCleared(t *testing.T, img v1.Image) {
	t.Helper()
	setuidInBase := map[string]bool{}
	for _, h := range layerHeaders(t, img) {
		if h.Mode&0o6000 != 0 {
			setuidInBase["/"+strings.TrimPrefix(h.Name, "./")] = true
		}
	}
	if len(setuidInBase) == 0 {
		t.Fatalf("the Debian stand-in has no setuid file in its layers: the test proves nothing")
	}
	cleared := 0
	for _, h := range topLayerHeaders(t, img) {
		name := "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		switch {
		case setuidInBase[name] || setuidInBase[name+"/"]:
			cleared++
		case h.Typeflag != tar.TypeDir:
			t.Errorf("the top layer holds %s, which had no setuid/setgid bit: want the cleared files alone", name)
		}
	}
	if cleared == 0 {
		t.Errorf("the top layer holds none of the %d setuid/setgid paths of the base", len(setuidInBase))
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
	}
	// Without attestations no step walks the image: the result's config guarantees are read through the
	// gateway, and the failure is the same, the second time with the base's step from the cache.
	for i := range 2 {
		log := buildFails(t, st.Buildx(context.Background(), "build", "-f", spec, "--provenance=false", "--sbom=false", "--progress", "plain", dir))
		for _, want := range []string{"[HX-CONFIG-ENTRYPOINT]", missing, "hardened.yaml:4"} {
			if !strings.Contains(log, want) {
				t.Errorf("build %d without attestations: the output does not say %q:\n%s", i+1, want, tail(log, 30))
			}
		}
		if strings.Contains(log, "goroutine ") || strings.Contains(log, verifyStepName) {
			t.Errorf("build %d without attestations: a Go stack trace or the walking step:\n%s", i+1, tail(log, 30))
		}
		if i == 1 && !stepCached(log, specialStepName) {
			t.Errorf("build %d without attestations: the base's step %q is not CACHED:\n%s", i+1, specialStepName, tail(log, 30))
		}
	}
}
