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

	"github.com/hardenedbuild/hardened/integration/stack"
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

// TestJavaUnsupportedVersion: a Java release distroless has no image of on Debian 13 fails at the
// spec's version line, naming the supported ones, before any build runs.
func TestJavaUnsupportedVersion(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "java")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, strings.Replace(string(readHost(t, spec)), `version: "21"`, `version: "11"`, 1))
	log := buildFails(t, st.Buildx(context.Background(), "build", "-f", spec, "--progress", "plain", dir))
	if !strings.Contains(log, "supported: 17, 21, 25") || !strings.Contains(log, `>>> version: "11"`) {
		t.Errorf("want an error at the version line naming the supported releases, got:\n%s", tail(log, 30))
	}
	assertNoGoStack(t, log)
}

// TestJava17Buildx builds examples/java at version: "17": eclipse-temurin:17-jdk-noble compiles it, and
// it runs on distroless java17-debian13 (stand-ins from Debian bookworm's openjdk-17, which trixie dropped).
func TestJava17Buildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "java")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, strings.Replace(string(readHost(t, spec)), `version: "21"`, `version: "17"`, 1))
	img := buildJava(t, dir)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	assertBase(t, cf.Config, "gcr.io/distroless/java17-debian13:nonroot")
	if cf.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", cf.Config.User)
	}
	var got struct {
		Message, Java string
		UID           int
	}
	askImage(t, img, "/?name=seventeen", &got, "--port=%d")
	if got.UID != 65532 || got.Message != "hello, seventeen" || !strings.HasPrefix(got.Java, "17.") {
		t.Errorf("server answered %+v, want uid 65532 on Java 17", got)
	}
}

// mavenSettings is a company's settings.xml: every repository through one mirror, reached with a user and
// password (the stack's Maven repository, made from Debian's maven-repo packages).
func mavenSettings(url, password string) string {
	return fmt.Sprintf(`<settings>
  <mirrors>
    <mirror>
      <id>company-mirror</id>
      <mirrorOf>*</mirrorOf>
      <url>%s</url>
    </mirror>
  </mirrors>
  <servers>
    <server>
      <id>company-mirror</id>
      <username>%s</username>
      <password>%s</password>
    </server>
  </servers>
</settings>
`, url, stack.MavenUser, password)
}

// TestJavaMavenExample builds examples/java-maven (pom.xml, commons-lang3 and gson) through docker buildx
// against the stack's Maven repository, reached through a settings.xml build secret as a company's mirror
// is: the image holds the jar and its libraries on distroless java, no Maven or JDK, runs as 65532 and
// answers; the mirror's password is in no layer, attestation, exported cache or the build's log.
func TestJavaMavenExample(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "java-maven")
	spec := filepath.Join(dir, "hardened.yaml")
	tmp := t.TempDir()
	// The repository's password is the running serve's: read it now, as another test may have restarted it.
	cur, err := stack.Load(st.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	password := cur.MavenPassword
	settings := filepath.Join(tmp, "settings.xml")
	writeFile(t, settings, mavenSettings(cur.MavenRepo, password))

	// A cache mount of its own, empty, and no step from the cache (BuildKit keys no step by its cache mounts'
	// ids): every artifact comes through the mirror in this run, whatever ran before.
	ns := fmt.Sprintf("--build-arg=BUILDKIT_CACHE_MOUNT_NS=java-maven-%d", time.Now().UnixNano())

	// Without the secret the build stops at the step that needs it, naming it.
	out := buildFails(t, st.Buildx(ctx, "build", ns, "-f", spec, "-o", "type=oci,dest="+filepath.Join(tmp, "none.tar"), dir))
	if !strings.Contains(out, "maven-settings") {
		t.Errorf("a build without --secret id=maven-settings does not name the secret:\n%s", tail(out, 20))
	}

	image := filepath.Join(tmp, "app.tar")
	cache := filepath.Join(tmp, "cache")
	log := build(t, st.Buildx(ctx, "build", ns, "--no-cache", "--secret", "id=maven-settings,src="+settings, "--progress", "plain",
		"--sbom=true", "--provenance=mode=max", "--cache-to", "type=local,mode=max,dest="+cache,
		"-f", spec, "-o", "type=oci,dest="+image, dir))
	if !strings.Contains(log, "mvn -B -ntp -U dependency:go-offline") || !strings.Contains(log, "commons-lang3") || stepCached(log, "mvn -B -ntp -U dependency:go-offline") {
		t.Errorf("the build did not resolve the dependencies through the mirror:\n%s", tail(log, 40))
	}
	if strings.Contains(log, password) {
		t.Error("the build log holds the mirror's password")
	}
	if n := scanForSecret(t, image, password) + scanForSecret(t, cache, password); n < 5 {
		t.Errorf("scanned %d blobs; want the image's layers, config, attestations and the cache", n)
	}

	img := only(t, ociImages(t, image))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if c := cf.Config; c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/usr/bin/java", "-jar", "/app/hello-maven.jar"}) {
		t.Errorf("user %q entrypoint %q, want 65532:65532 and java -jar /app/hello-maven.jar", c.User, c.Entrypoint)
	}
	assertBase(t, cf.Config, "gcr.io/distroless/java21-debian13:nonroot")
	files := flatFiles(t, img)
	want := []string{"/app/hello-maven.jar", "/app/lib/commons-lang3-3.17.0.jar", "/app/lib/gson-2.10.1.jar"}
	for _, f := range want {
		if h := files[f]; h == nil || h.Uid != 0 || h.Mode&0o022 != 0 {
			t.Errorf("%s = %+v: want it root-owned and not writable by the runtime user", f, h)
		}
	}
	for f, h := range files {
		base := filepath.Base(f)
		switch {
		case h.Typeflag != tar.TypeDir && slices.Contains([]string{"sh", "bash", "dash", "javac", "jar", "mvn", "apt", "dpkg"}, base),
			strings.Contains(f, "/.m2/"), strings.HasPrefix(f, "/usr/share/maven"):
			t.Errorf("the image has %s", f)
		case strings.HasPrefix(f, "/app/") && h.Typeflag == tar.TypeReg && !slices.Contains(want, f):
			t.Errorf("%s is not an artifact, yet it is in the image", f)
		}
	}
	assertNoSetuid(t, img)

	var got struct {
		Message, Java, Libraries string
		UID                      int
	}
	askImage(t, img, "/?name=%20maven%20%20user%20", &got, "--port=%d")
	if got.UID != 65532 || got.Message != "hello, maven user" || !strings.HasPrefix(got.Java, "21.") ||
		got.Libraries != "org.apache.commons.lang3 com.google.gson" {
		t.Errorf("server answered %+v, want uid 65532 on Java 21 with both libraries", got)
	}
	builder := registryImage(t, "library/maven:3-eclipse-temurin-21-noble")
	t.Logf("sizes: hardened image %s (%s compressed), /app %d bytes; the maven:3-eclipse-temurin-21-noble builder stand-in %s (%s compressed)",
		mb(unpackedSize(t, img)), mb(compressedSize(t, img)), files[want[0]].Size+files[want[1]].Size+files[want[2]].Size,
		mb(unpackedSize(t, builder)), mb(compressedSize(t, builder)))
}
