//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/integration/stack"
	"github.com/hardenedbuild/hardened/lang/java"
)

// javaExample is what TestJavaExampleBuildx built, for TestJavaRebuilds to compare with (its
// OCI tarball goes with that test's temp dir).
var javaExample *struct {
	digest v1.Hash
	jar    []byte
}

// TestJavaExampleBuildx builds examples/java (javac and jar, no Maven or Gradle) through docker
// buildx, checks the image is hardened and holds no JDK, only a JRE jlink'd for the app on distroless cc
// with Debian's zlib recorded for scanners, and runs it.
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
	if !slices.Equal(c.Entrypoint, []string{"/opt/java/openjdk/bin/java", "-jar", "/app/Server.jar"}) {
		t.Errorf("entrypoint = %q", c.Entrypoint)
	}
	assertBase(t, c, "gcr.io/distroless/cc-debian13:nonroot")
	if l := c.Labels["io.github.hardenedbuild.runtime.libs"]; l != "" {
		t.Errorf("runtime.libs label = %q: Debian 13's cc has the zlib the JRE links", l)
	}

	files := flatFiles(t, img)
	if h := files["/app/Server.jar"]; h == nil || h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("/app/Server.jar = %+v: want the jar, root-owned and not writable by the runtime user", h)
	}
	assertJlinkedJRE(t, img, files, "21.", "java.desktop", "java.sql")
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
	full := registryImage(t, "distroless/java21-debian13:nonroot")
	t.Logf("sizes: hardened image %s (%s compressed), of which /app/Server.jar %d bytes; distroless java21 (B's base) %s (%s compressed); the eclipse-temurin:21-jdk-noble builder stand-in %s (%s compressed)",
		mb(unpackedSize(t, img)), mb(compressedSize(t, img)), files["/app/Server.jar"].Size, mb(unpackedSize(t, full)), mb(compressedSize(t, full)),
		mb(unpackedSize(t, builder)), mb(compressedSize(t, builder)))
	// The goal is A <= 0.6x B compressed, and B is distroless java with the jar: its base alone is the bound here.
	if a, b := compressedSize(t, img), compressedSize(t, full); float64(a) > 0.6*float64(b) {
		t.Errorf("the image is %s compressed, more than 0.6x distroless java21's %s", mb(a), mb(b))
	}
}

// assertJlinkedJRE: the image's java is a jlink'd JRE at /opt/java/openjdk whose release file names the
// Java version and its modules (a subset: never the compiler, nor the absent modules the app does not use),
// nothing of distroless java's JRE, and Debian's zlib, which the JRE links, recorded in the dpkg status
// scanners read.
func assertJlinkedJRE(t *testing.T, img v1.Image, files map[string]*tar.Header, version string, absent ...string) {
	t.Helper()
	if h := files["/opt/java/openjdk/bin/java"]; h == nil || h.Uid != 0 || h.Mode&0o022 != 0 || h.Mode&0o111 == 0 {
		t.Errorf("/opt/java/openjdk/bin/java = %+v: want the launcher, root-owned, executable and not writable", h)
	}
	for _, f := range []string{"/usr/bin/java", "/opt/java/openjdk/jmods", "/opt/java/openjdk/include", "/opt/java/openjdk/lib/src.zip"} {
		if files[f] != nil {
			t.Errorf("the image has %s", f)
		}
	}
	release := string(readFile(t, img, "/opt/java/openjdk/release"))
	if !strings.Contains(release, `JAVA_VERSION="`+version) || !strings.Contains(release, "java.base") {
		t.Errorf("/opt/java/openjdk/release = %q: want Java %s and java.base", release, version)
	}
	for _, m := range append(absent, "jdk.compiler") {
		if strings.Contains(release, m+" ") || strings.Contains(release, m+`"`) {
			t.Errorf("/opt/java/openjdk/release = %q: want no %s", release, m)
		}
	}
	if cacerts := files["/opt/java/openjdk/lib/security/cacerts"]; cacerts == nil || cacerts.Size == 0 {
		t.Error("the JRE has no trust store")
	}
	if status := string(readFile(t, img, "/var/lib/dpkg/status.d/zlib1g")); !strings.Contains(status, "Package: zlib1g") {
		t.Errorf("zlib1g is not recorded in /var/lib/dpkg/status.d: %q", status)
	}
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
	if !stepCached(log, java.JREStep) {
		t.Errorf("a source change that needs the same modules linked the JRE again:\n%s", tail(log, 40))
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

// TestJava17Buildx builds examples/java at version: "17": eclipse-temurin:17-jdk-noble compiles it and links
// its JRE (stand-in from Debian bookworm's openjdk-17, which trixie dropped), and it runs on distroless cc.
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
	assertBase(t, cf.Config, "gcr.io/distroless/cc-debian13:nonroot")
	assertJlinkedJRE(t, img, flatFiles(t, img), "17.", "java.desktop", "java.sql")
	askJava(t, img, "seventeen", "17.")
}

// TestJavaFullJRE: runtime.jre: full ships distroless java's whole JRE, for apps that load modules jdeps
// cannot see, with its /usr/bin/java as the entrypoint and no JRE or zlib of the build's own.
func TestJavaFullJRE(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "java")
	spec := filepath.Join(dir, "hardened.yaml")
	text := strings.Replace(string(readHost(t, spec)), "/opt/java/openjdk/bin/java", "/usr/bin/java", 1)
	writeFile(t, spec, text+"runtime:\n  jre: full\n")
	img := buildJava(t, dir)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	assertBase(t, cf.Config, "gcr.io/distroless/java21-debian13:nonroot")
	if !slices.Equal(cf.Config.Entrypoint, []string{"/usr/bin/java", "-jar", "/app/Server.jar"}) {
		t.Errorf("entrypoint = %q", cf.Config.Entrypoint)
	}
	files := flatFiles(t, img)
	if files["/usr/bin/java"] == nil || files["/opt/java/openjdk/bin/java"] != nil {
		t.Error("want distroless java's /usr/bin/java and no JRE at /opt/java/openjdk")
	}
	if l := cf.Config.Labels["io.github.hardenedbuild.runtime.libs"]; l != "" {
		t.Errorf("runtime.libs label = %q: the full JRE needs nothing added", l)
	}
	askJava(t, img, "full", "21.")
}

// askJava runs the example's image and checks it answers as uid 65532 on that Java.
func askJava(t *testing.T, img v1.Image, name, version string) {
	t.Helper()
	if cf, err := img.ConfigFile(); err != nil || cf.Config.User != "65532:65532" {
		t.Errorf("user = %v (%v), want 65532:65532", cf, err)
	}
	var got struct {
		Message, Java string
		UID           int
	}
	askImage(t, img, "/?name="+name, &got, "--port=%d")
	if got.UID != 65532 || got.Message != "hello, "+name || !strings.HasPrefix(got.Java, version) {
		t.Errorf("server answered %+v, want uid 65532 on Java %s", got, version)
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

	// Without the secret the build stops at the step that needs it, naming it (--no-cache: a step an
	// earlier run left in the cache would need no secret).
	out := buildFails(t, st.Buildx(ctx, "build", ns, "--no-cache", "-f", spec, "-o", "type=oci,dest="+filepath.Join(tmp, "none.tar"), dir))
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
	if c := cf.Config; c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/opt/java/openjdk/bin/java", "-jar", "/app/hello-maven.jar"}) {
		t.Errorf("user %q entrypoint %q, want 65532:65532 and java -jar /app/hello-maven.jar", c.User, c.Entrypoint)
	}
	assertBase(t, cf.Config, "gcr.io/distroless/cc-debian13:nonroot")
	// With attestations the self-check walks the whole image, so a prepare step unpacks the base.
	assertBaseUnpackedNotScanned(t, log, "gcr.io/distroless/cc-debian13", true)
	files := flatFiles(t, img)
	assertJlinkedJRE(t, img, files, "21.")
	// jdeps reads the libraries in /app/lib too: gson's SQL date adapters need java.sql.
	if release := string(readFile(t, img, "/opt/java/openjdk/release")); !strings.Contains(release, "java.sql") {
		t.Errorf("the JRE lacks java.sql, which gson in /app/lib uses: %q", release)
	}
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
	full := registryImage(t, "distroless/java21-debian13:nonroot")
	t.Logf("sizes: hardened image %s (%s compressed), /app %d bytes; distroless java21 %s (%s compressed); the maven:3-eclipse-temurin-21-noble builder stand-in %s (%s compressed)",
		mb(unpackedSize(t, img)), mb(compressedSize(t, img)), files[want[0]].Size+files[want[1]].Size+files[want[2]].Size,
		mb(unpackedSize(t, full)), mb(compressedSize(t, full)), mb(unpackedSize(t, builder)), mb(compressedSize(t, builder)))
}

// TestJavaRuntimeReadsNestedJars runs HardenedBuild.java's app-modules and app-jre on this machine's JDK over a fat jar
// (Spring Boot's layout: the app's classes and BOOT-INF/lib/*.jar inside one jar): jdeps does not open jars
// within jars, so the tool extracts them, and the JRE gets java.sql, which only the nested library uses.
func TestJavaRuntimeReadsNestedJars(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	src := filepath.Join(dir, "src")
	writeFileIn(t, filepath.Join(src, "lib", "Db.java"), "package lib;\npublic class Db { public static java.sql.Connection none() { return null; } }\n")
	writeFileIn(t, filepath.Join(src, "app", "Main.java"), "package app;\npublic class Main { public static void main(String[] a) { System.out.println(\"hi\"); } }\n")
	run("javac", "-d", filepath.Join(dir, "lib-classes"), filepath.Join(src, "lib", "Db.java"))
	run("javac", "-d", filepath.Join(dir, "fat", "BOOT-INF", "classes"), filepath.Join(src, "app", "Main.java"))
	for _, d := range []string{filepath.Join(dir, "fat", "BOOT-INF", "lib"), filepath.Join(dir, "out")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run("jar", "--create", "--file", filepath.Join(dir, "fat", "BOOT-INF", "lib", "db.jar"), "-C", filepath.Join(dir, "lib-classes"), ".")
	run("jar", "--create", "--file", filepath.Join(dir, "out", "app.jar"), "-C", filepath.Join(dir, "fat"), ".")
	version := strings.TrimSpace(run("java", "-XshowSettings:properties", "-version"))
	major := regexp.MustCompile(`java\.specification\.version = (\d+)`).FindStringSubmatch(version)
	if major == nil {
		t.Fatalf("no java.specification.version in:\n%s", version)
	}
	jre, again, modules := filepath.Join(dir, "jre"), filepath.Join(dir, "again"), filepath.Join(dir, "modules", "list")
	tool := filepath.Join(repoRoot, "lang", "java", "javatool", "HardenedBuild.java")
	log := run("java", tool, "app-modules", major[1], filepath.Join(dir, "out"), modules)
	if list := string(readHost(t, modules)); !strings.Contains(list, "java.sql") || !strings.HasPrefix(list, "java.base,") {
		t.Errorf("the module list %q lacks java.sql, which the nested jar uses, or java.base first:\n%s", list, log)
	}
	log += run("java", tool, "app-jre", modules, jre, "1980-01-01T00:00:02Z")
	// The same modules again: the same tree with the same times, so BuildKit's cache of the step is exact.
	run("java", tool, "app-jre", modules, again, "1980-01-01T00:00:02Z")
	if a, b := treeListing(t, jre), treeListing(t, again); a != b {
		t.Errorf("two links of the same modules differ:\n%s\n---\n%s", a, b)
	}
	release := string(readHost(t, filepath.Join(jre, "release")))
	if !strings.Contains(release, "java.sql") {
		t.Errorf("the JRE lacks java.sql, which the nested jar uses:\n%s\n%s", log, release)
	}
	if fi, err := os.Stat(filepath.Join(jre, "bin", "java")); err != nil || fi.ModTime().Year() != 1980 {
		t.Errorf("bin/java: %v, %v: want it dated as the jars", fi, err)
	}
}

// treeListing is a tree's paths, kinds, modes, times, link targets and file contents' sizes, one line each.
func treeListing(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		target, _ := os.Readlink(p)
		fmt.Fprintf(&b, "%s %s %d %d %s\n", strings.TrimPrefix(p, root), fi.Mode(), fi.ModTime().Unix(), fi.Size(), target)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
