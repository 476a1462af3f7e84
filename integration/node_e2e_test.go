//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestNodeExampleBuildx builds examples/node (express from the npm registry) through
// docker buildx, checks the image is hardened and holds no npm, and runs it.
func TestNodeExampleBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "node")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch),
		"-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	assertExampleConfig(t, "node", cf.Config)

	files := flatFiles(t, img)
	for _, f := range []string{"/nodejs/bin/node", "/app/package.json", "/app/server.js", "/app/lib/greeting.js",
		"/app/healthcheck.js", "/app/node_modules/express/package.json"} {
		h := files[f]
		if h == nil {
			t.Errorf("the image has no %s", f)
			continue
		}
		if strings.HasPrefix(f, "/app/") && (h.Uid != 0 || h.Mode&0o022 != 0) {
			t.Errorf("%s uid %d mode %o: the app must be root-owned and not writable by the runtime user", f, h.Uid, h.Mode)
		}
	}
	// /app and node_modules, copied from the install's step apart from the app, carry the epoch.
	assertEpoch(t, files, "/app", "/app/node_modules", "/app/server.js")
	assertDepsLayer(t, img, "/app/node_modules")
	// No shell, no package manager or its cache, no compiler, nothing of the context but the artifacts.
	for f, h := range files {
		base := filepath.Base(f)
		switch {
		case h.Typeflag != tar.TypeDir && slices.Contains([]string{"sh", "bash", "dash", "busybox", "npm", "npx", "npm-cli.js", "gcc", "cc", "apt", "dpkg"}, base) && !strings.HasPrefix(f, "/app/node_modules/"):
			t.Errorf("the image has %s", f)
		case strings.HasPrefix(f, "/root/.npm"), strings.HasPrefix(f, "/usr/share/nodejs/npm"), strings.HasPrefix(f, "/usr/lib/node_modules"):
			t.Errorf("the image has npm or its cache: %s", f)
		case f == "/app/hardened.yaml", f == "/app/package-lock.json", f == "/app/.dockerignore":
			t.Errorf("%s is not an artifact, yet it is in the image", f)
		}
	}
	assertNoSetuid(t, img)

	var got struct {
		Message, Node string
		UID           int
	}
	askImage(t, img, "/?name=hardened", &got, "--port=%d")
	if got.UID != 65532 || got.Message != "hello, hardened" || !strings.HasPrefix(got.Node, "v26.") {
		t.Errorf("server answered %+v, want uid 65532 on node v26", got)
	}

	var app int64
	for f, h := range files {
		if strings.HasPrefix(f, "/app/") {
			app += h.Size
		}
	}
	builder := registryImage(t, "library/node:26-trixie-slim")
	t.Logf("sizes: hardened image %s (%s compressed), of which /app %s; the node:26-trixie-slim builder stand-in %s (%s compressed)",
		mb(unpackedSize(t, img)), mb(compressedSize(t, img)), mb(app), mb(unpackedSize(t, builder)), mb(compressedSize(t, builder)))
}

// TestNodeWithoutVersionFails: no version in the spec or package.json is an error at the
// language line, not a guess.
func TestNodeWithoutVersionFails(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	writeFile(t, filepath.Join(dir, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: node\nartifacts: [server.js]\n")
	pkg := filepath.Join(dir, "package.json")
	writeFile(t, pkg, strings.Replace(string(readHost(t, pkg)), `"node": ">=22"`, `"npm": ">=9"`, 1))
	log := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain", dir))
	if !strings.Contains(log, "hardened.yaml:2:11") || !strings.Contains(log, "no Node.js version") {
		t.Errorf("want an error at hardened.yaml:2:11 about the Node.js version, got:\n%s", tail(log, 30))
	}
	assertNoGoStack(t, log)
}

// registryImage is an image the local registry serves under a docker.io/gcr.io path.
func registryImage(t *testing.T, repoTag string) v1.Image {
	t.Helper()
	ref, err := name.ParseReference(st.Registry+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return img
}

// unpackedSize is the sum of the layers' uncompressed sizes.
func unpackedSize(t *testing.T, img v1.Image) int64 {
	t.Helper()
	layers := imageLayers(t, img)
	var n int64
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n += h.Size
		}
		rc.Close()
	}
	return n
}

func compressedSize(t *testing.T, img v1.Image) int64 {
	t.Helper()
	layers := imageLayers(t, img)
	var n int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		n += s
	}
	return n
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
