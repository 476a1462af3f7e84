//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// javaExample is what TestJavaExampleBuildx built, for TestJavaRebuilds to compare with (its
// OCI tarball goes with that test's temp dir).
var javaExample *struct {
	digest v1.Hash
	jar    []byte
}

// TestJavaExampleBuildx builds examples/java (javac and jar, no Maven or Gradle) through docker
// buildx, checks the image is hardened and holds no JDK, and runs it.
func TestJavaExampleBuildx(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "java")
	img := buildJava(t, dir)

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/bin/java", "-jar", "/app/Server.jar"}) {
		t.Errorf("entrypoint = %q", c.Entrypoint)
	}
	assertBase(t, c, "gcr.io/distroless/java21-debian13:nonroot")

	files := flatFiles(t, img)
	if h := files["/app/Server.jar"]; h == nil || h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("/app/Server.jar = %+v: want the jar, root-owned and not writable by the runtime user", h)
	}
	if h := files["/usr/bin/java"]; h == nil {
		t.Error("the image has no /usr/bin/java")
	}
	// No shell, no package manager, no compiler or other JDK tool, nothing of the context but the jar.
	for f, h := range files {
		base := filepath.Base(f)
		switch {
		case h.Typeflag != tar.TypeDir && slices.Contains([]string{"sh", "bash", "dash", "busybox", "javac", "jar", "jshell", "jlink", "mvn", "gradle", "apt", "dpkg"}, base):
			t.Errorf("the image has %s", f)
		case strings.HasPrefix(f, "/app/") && f != "/app/Server.jar":
			t.Errorf("%s is not an artifact, yet it is in the image", f)
		}
	}
	assertNoSetuid(t, img)

	var got struct {
		Message, Java string
		UID           int
	}
	askImage(t, img, "/?name=hardened", &got, "--port=%d")
	if got.UID != 65532 || got.Message != "hello, hardened" || !strings.HasPrefix(got.Java, "21.") {
		t.Errorf("server answered %+v, want uid 65532 on Java 21", got)
	}

	dgst, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	javaExample = &struct {
		digest v1.Hash
		jar    []byte
	}{dgst, readFile(t, img, "/app/Server.jar")}

	builder := registryImage(t, "library/eclipse-temurin:21-jdk-noble")
	t.Logf("sizes: hardened image %s (%s compressed), of which /app/Server.jar %d bytes; the eclipse-temurin:21-jdk-noble builder stand-in %s (%s compressed)",
		mb(unpackedSize(t, img)), mb(compressedSize(t, img)), files["/app/Server.jar"].Size, mb(unpackedSize(t, builder)), mb(compressedSize(t, builder)))
}

// TestJavaRebuilds: the example rebuilt from a copy with every step re-run gives the same digest
// (the jar's entries carry fixed times), and a one-line change compiles again and changes it.
func TestJavaRebuilds(t *testing.T) {
	if javaExample == nil {
		t.Skip("needs TestJavaExampleBuildx's image")
	}
	dir := copyExample(t, "java")
	again := buildJava(t, dir, "--no-cache")
	want := javaExample.digest
	if got, _ := again.Digest(); got != want {
		t.Errorf("two builds of the same source differ: %s and %s", want, got)
	}

	src := filepath.Join(dir, "src", "main", "java", "com", "example", "hello", "Greeting.java")
	writeFile(t, src, strings.Replace(string(readHost(t, src)), `"hello, "`, fmt.Sprintf(`"hello %d, "`, time.Now().UnixNano()), 1))
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain",
		"-o", "type=oci,dest="+out, dir))
	if stepCached(log, "copy source") {
		t.Errorf("the source copy was CACHED although the source changed:\n%s", tail(log, 40))
	}
	changed := only(t, ociImages(t, out))
	if got, _ := changed.Digest(); got == want {
		t.Error("a source change left the image digest as it was")
	}
	if jar := readFile(t, changed, "/app/Server.jar"); string(jar) == string(javaExample.jar) {
		t.Error("a source change left the jar as it was")
	}
}

// buildJava builds a java example directory through buildx into an OCI tarball and returns its image.
func buildJava(t *testing.T, dir string, args ...string) v1.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "app.tar")
	args = append(append([]string{"build", "-f", filepath.Join(dir, "hardened.yaml")}, args...), "-o", "type=oci,dest="+out, dir)
	start := time.Now()
	build(t, st.Buildx(context.Background(), args...))
	t.Logf("built %s in %s", dir, time.Since(start).Round(time.Second))
	return only(t, ociImages(t, out))
}

// TestJavaOtherVersionHasNoImage: the stack has Java 21 and 25 only (Debian trixie has no Java 17), so
// version 17 maps to images it does not serve and fails at the spec's version line, naming the image,
// before any build runs.
func TestJavaOtherVersionHasNoImage(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "java")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, strings.Replace(string(readHost(t, spec)), `version: "21"`, `version: "17"`, 1))
	log := buildFails(t, st.Buildx(context.Background(), "build", "-f", spec, "--progress", "plain", dir))
	if !strings.Contains(log, "cannot resolve docker.io/library/eclipse-temurin:17-jdk-noble") || !strings.Contains(log, `>>> version: "17"`) {
		t.Errorf("want an error at the version line naming eclipse-temurin:17-jdk-noble, got:\n%s", tail(log, 30))
	}
	assertNoGoStack(t, log)
}
