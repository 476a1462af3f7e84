package java_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

func TestJavaExampleLLB(t *testing.T) {
	s, files := loadDir(t, "java")
	res, g := convert(t, s, resolved(t, s, files, amd64))

	wantSources := []string{
		"docker-image://docker.io/library/eclipse-temurin:21-jdk-noble@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/cc-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}

	// javac and jar run in one JVM, one exec-form step: HardenedBuild runs each tool in turn.
	compile := g.Named(t, "javac --release 21 and jar in one JVM: /hardened/out/Server.jar; jdeps: the modules they need, into /hardened/jre-modules/modules")
	want := []string{"java", "-XX:TieredStopAtLevel=1", "/hardened/java/HardenedBuild.java",
		"javac", "--release", "21", "-encoding", "UTF-8", "-implicit:class", "-d", "/tmp/hardened/classes/com.example.hello.Server",
		"--source-path", "/src/src/main/java", "/src/src/main/java/com/example/hello/Server.java", "--",
		"jar", "--create", "--file", "/hardened/out/Server.jar", "--main-class", "com.example.hello.Server", "--date", "1980-01-01T00:00:02Z",
		"-C", "/tmp/hardened/classes/com.example.hello.Server", ".", "-C", "/src/src/main/resources", ".",
		"--", "app-modules", "21", "/hardened/out", "/hardened/jre-modules/modules"}
	if args := compile.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, want) {
		t.Errorf("build args = %q\nwant %q", args, want)
	}
	if compile.Op.GetExec().Network != pb.NetMode_NONE {
		t.Error("javac has network")
	}
	if cwd := compile.Op.GetExec().GetMeta().GetCwd(); cwd != "/src" {
		t.Errorf("javac runs in %q", cwd)
	}
	if n := len(g.Execs()); n != 2 {
		t.Errorf("the build runs %d steps, want the compile and the JRE's", n)
	}
	source := g.Named(t, "copy source")
	// The directories javac and jar write and read, and the tool, are made with the source, in its file op.
	var made []string
	var tool []byte
	for _, a := range source.Op.GetFile().GetActions() {
		if m := a.GetMkdir(); m != nil {
			made = append(made, m.Path)
		}
		if f := a.GetMkfile(); f != nil && f.Path == "/hardened/java/HardenedBuild.java" {
			tool = f.Data
		}
	}
	if !slices.Equal(made, []string{"/hardened/out", "/hardened/java", "/src/src/main/resources"}) {
		t.Errorf("the source copy makes %q, want /hardened/out, the tool's directory and the resources directory", made)
	}
	if !slices.Equal(tool, javaTool(t)) {
		t.Error("the source copy does not write HardenedBuild.java")
	}
	if in, ok := g.Input(compile, 0); !ok || in.Digest != source.Digest {
		t.Error("javac does not run right on the source copy")
	}
	for _, o := range g.Execs() {
		args := o.Op.GetExec().GetMeta().GetArgs()
		if slices.Contains(args, "sh") || slices.Contains(args, "-c") || args[0] == "mvn" || args[0] == "gradle" {
			t.Errorf("%s: %q, want javac and jar alone, no shell", o.Name, args)
		}
	}
	assertJlink(t, g, "1980-01-01T00:00:02Z", compile, source)

	// The final stage takes /hardened/out whole into /app, without setuid/setgid, owned by root.
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	cp := findCopy(t, final, "/hardened/out")
	if cp.Dest != "/app/" || !cp.DirCopyContents || cp.ModeStr != hllb.AppMode || cp.Owner.GetUser().GetByID() != 0 {
		t.Errorf("final copy = %s -> %s contents %v mode %q owner %v", cp.Src, cp.Dest, cp.DirCopyContents, cp.ModeStr, cp.Owner)
	}
	if !g.DependsOn(final, g.Named(t, "copy the dependency tree to /opt/java/openjdk (root-owned, modes 0644/0755)").Digest) {
		t.Error("the final stage does not have the JRE")
	}
	// Debian 13's distroless cc has zlib, which the JRE links: no runtime-libs stage.
	for _, o := range g.Ops {
		if strings.HasPrefix(o.Name, "add runtime.libs") {
			t.Errorf("the build adds runtime libs (%s), which Debian 13's cc has", o.Name)
		}
	}

	img := res.Image
	if !slices.Equal(img.Config.Entrypoint, []string{"/opt/java/openjdk/bin/java", "-jar", "/app/Server.jar"}) {
		t.Errorf("entrypoint = %q", img.Config.Entrypoint)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", img.Config.User, img.Config.WorkingDir)
	}
	if img.Config.Labels[hllb.LabelBaseName] != "gcr.io/distroless/cc-debian13:nonroot" {
		t.Errorf("base label = %q", img.Config.Labels[hllb.LabelBaseName])
	}
}

func TestJavaMaven(t *testing.T) {
	s := load(t, "language: java\nartifacts: [target/app.jar, target/lib]\n")
	files := hllb.Files{"pom.xml": []byte("<project><properties><maven.compiler.release>21</maven.compiler.release></properties></project>")}
	in := resolved(t, s, files, amd64)
	epoch := time.Unix(1700000000, 0).UTC()
	in.Epoch = &epoch
	in.CacheNS = "team"
	_, g := convert(t, s, in)

	want := []string{
		"docker-image://docker.io/library/maven:3-eclipse-temurin-21-noble@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/cc-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("sources = %q, want %q", got, want)
	}

	pom := g.Named(t, "copy pom.xml")
	if inc := findCopy(t, pom, "/").IncludePatterns; !slices.Equal(inc, []string{"pom.xml", ".mvn"}) {
		t.Errorf("pom copy includes %q", inc)
	}
	resolve := g.Named(t, "mvn -B -ntp -U dependency:go-offline")
	assertJavaCache(t, resolve, "/root/.m2/repository", "team/hardened/java/m2-repository", pb.CacheSharingOpt_LOCKED)
	if resolve.Op.GetExec().Network == pb.NetMode_NONE {
		t.Error("dependency:go-offline has no network")
	}
	source := g.Named(t, "copy source")
	if g.DependsOn(resolve, source.Digest) {
		t.Error("go-offline depends on the source copy; a source change would resolve again")
	}
	if ex := findCopy(t, source, "/").ExcludePatterns; !slices.Equal(ex, []string{"target", "hardened.yaml", "hardened.lock"}) {
		t.Errorf("source copy excludes %q, want the local target/", ex)
	}
	pkg := g.Named(t, "mvn -B -ntp -o package -DskipTests -Dproject.build.outputTimestamp=2023-11-14T22:13:20Z")
	assertJavaCache(t, pkg, "/root/.m2/repository", "team/hardened/java/m2-repository", pb.CacheSharingOpt_LOCKED)
	if pkg.Op.GetExec().Network != pb.NetMode_NONE || !g.DependsOn(pkg, source.Digest) {
		t.Error("mvn package must run offline after the source copy")
	}
	layout := g.Named(t, "copy the jars to /hardened/out")
	for src, dest := range map[string]string{"/src/target/app.jar": "/hardened/out/app.jar", "/src/target/lib": "/hardened/out/lib"} {
		if cp := findCopy(t, layout, src); cp.Dest != dest {
			t.Errorf("layout copies %s to %s, want %s", src, cp.Dest, dest)
		}
	}
	if ep := plan.Entrypoint(s); !slices.Equal(ep, []string{"/opt/java/openjdk/bin/java", "-jar", "/app/app.jar"}) {
		t.Errorf("entrypoint = %q", ep)
	}
	// jdeps reads the jars as the build laid them out, the libraries' too, in a JVM of its own.
	jdeps := g.Named(t, "jdeps: the modules the jars need, into /hardened/jre-modules/modules")
	want = []string{"java", "-XX:TieredStopAtLevel=1", "/hardened/java/HardenedBuild.java", "app-modules", "21", "/hardened/out", "/hardened/jre-modules/modules"}
	if args := jdeps.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, want) || !g.DependsOn(jdeps, layout.Digest) {
		t.Errorf("jdeps args = %q, after the layout %v; want %q after it", args, g.DependsOn(jdeps, layout.Digest), want)
	}
	if jdeps.Op.GetExec().Network != pb.NetMode_NONE {
		t.Error("jdeps has network")
	}
	assertJlink(t, g, "2023-11-14T22:13:20Z", jdeps, source)
}

func TestJavaGradle(t *testing.T) {
	s := load(t, "language: java\nartifacts: [build/libs/app.jar]\n")
	kts := []byte("java {\n    toolchain {\n        languageVersion = JavaLanguageVersion.of(17)\n    }\n}\n")
	for _, tc := range []struct {
		files   hllb.Files
		builder string
		run     string
	}{
		{hllb.Files{"build.gradle.kts": kts, "gradlew": []byte("#!/bin/sh\n")}, "docker.io/library/eclipse-temurin:17-jdk-noble", "./gradlew"},
		{hllb.Files{"build.gradle": []byte("sourceCompatibility = JavaVersion.VERSION_17\n")}, "docker.io/library/gradle:jdk17-noble", "gradle"},
	} {
		_, g := convert(t, s, resolved(t, s, tc.files, amd64))
		if src := g.Sources(); !slices.Contains(src, "docker-image://"+tc.builder+"@"+golangDigest.String()) {
			t.Errorf("sources = %q, want the builder %s", src, tc.builder)
		}
		assemble := g.Named(t, tc.run+" --no-daemon --init-script /hardened/reproducible.init.gradle assemble")
		assertJavaCache(t, assemble, "/root/.gradle", "hardened/java/gradle", pb.CacheSharingOpt_SHARED)
		if env := llbtest.Env(assemble); env["GRADLE_USER_HOME"] != "/root/.gradle" {
			t.Errorf("assemble env = %v: Gradle must use the cache mount", env)
		}
		if !g.DependsOn(assemble, g.Named(t, "write the reproducible-archives init script").Digest) {
			t.Error("assemble runs without the reproducible-archives init script")
		}
		if ex := findCopy(t, g.Named(t, "copy source"), "/").ExcludePatterns; !slices.Equal(ex, []string{"build", ".gradle", "hardened.yaml", "hardened.lock"}) {
			t.Errorf("source copy excludes %q", ex)
		}
		findCopy(t, g.Named(t, "copy the jars to /hardened/out"), "/src/build/libs/app.jar")
	}
}

func TestJavaVersion(t *testing.T) {
	lang, _ := registry.Lookup("java")
	for _, tc := range []struct {
		yaml, artifact string
		files          hllb.Files
		builder, base  string
	}{
		{`version: "17"`, "src/main/java/a/Main.java", nil, "docker.io/library/eclipse-temurin:17-jdk-noble", "gcr.io/distroless/java17-debian13:nonroot"},
		{`version: "25"`, "src/main/java/a/Main.java", nil, "docker.io/library/eclipse-temurin:25-jdk-noble", "gcr.io/distroless/java25-debian13:nonroot"},
		{`version: "21"`, "target/a.jar", hllb.Files{"pom.xml": []byte("<release>17</release>")}, "docker.io/library/maven:3-eclipse-temurin-21-noble", "gcr.io/distroless/java21-debian13:nonroot"},
		{``, "target/a.jar", hllb.Files{"pom.xml": []byte("<properties><java.version>21</java.version></properties>")}, "docker.io/library/maven:3-eclipse-temurin-21-noble", "gcr.io/distroless/java21-debian13:nonroot"},
		{``, "build/libs/a.jar", hllb.Files{"build.gradle": []byte("java { sourceCompatibility = '25' }")}, "docker.io/library/gradle:jdk25-noble", "gcr.io/distroless/java25-debian13:nonroot"},
		{``, "build/libs/a.jar", hllb.Files{"build.gradle": []byte("toolchain { languageVersion = JavaLanguageVersion.of(21) }"), "gradlew": nil}, "docker.io/library/eclipse-temurin:21-jdk-noble", "gcr.io/distroless/java21-debian13:nonroot"},
		// Debian 12 builds what it always did: jammy builders, maven's untagged OS, -debian12 finals.
		{"version: \"17\"\ndebian: \"12\"", "src/main/java/a/Main.java", nil, "docker.io/library/eclipse-temurin:17-jdk-jammy", "gcr.io/distroless/java17-debian12:nonroot"},
		{`debian: "12"`, "target/a.jar", hllb.Files{"pom.xml": []byte("<properties><java.version>21</java.version></properties>")}, "docker.io/library/maven:3-eclipse-temurin-21", "gcr.io/distroless/java21-debian12:nonroot"},
		{`debian: "12"`, "build/libs/a.jar", hllb.Files{"build.gradle": []byte("java { sourceCompatibility = '21' }")}, "docker.io/library/gradle:jdk21-jammy", "gcr.io/distroless/java21-debian12:nonroot"},
	} {
		// runtime.jre: full is distroless java of the release; the default jlink, cc whatever the release.
		s := load(t, "language: java\nartifacts: ["+tc.artifact+"]\nruntime: {jre: full}\n"+tc.yaml+"\n")
		jlinked := load(t, "language: java\nartifacts: ["+tc.artifact+"]\n"+tc.yaml+"\n")
		wantCC := "gcr.io/distroless/cc" + tc.base[strings.Index(tc.base, "-debian"):]
		if base, _, err := baseImage(jlinked, tc.files, arm64); err != nil || base.Ref != wantCC {
			t.Errorf("%s %q: jlink base %s (%v), want %s", tc.yaml, tc.files, base.Ref, err, wantCC)
		}
		breq, err := lang.Builder(s, tc.files, arm64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		base, ok, err := baseImage(s, tc.files, arm64)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if breq.Ref != tc.builder || base.Ref != tc.base {
			t.Errorf("%s %q: builder %s base %s, want %s %s", tc.yaml, tc.files, breq.Ref, base.Ref, tc.builder, tc.base)
		}
		// A jar is the same everywhere: the JDK runs on the build platform, the base is the target's.
		if breq.Platform.Architecture != "amd64" || base.Platform.Architecture != "arm64" {
			t.Errorf("builder on %s, base on %s", breq.Platform.Architecture, base.Platform.Architecture)
		}
	}
}

func TestJavaErrorsPointAtTheSpec(t *testing.T) {
	lang, _ := registry.Lookup("java")
	src := load(t, "language: java\nartifacts: [src/main/java/a/Main.java]\n")
	jar := load(t, "language: java\nversion: \"17\"\nartifacts: [target/a.jar]\n")
	unversioned := load(t, "language: java\nartifacts: [target/a.jar]\n")
	for _, tc := range []struct {
		name  string
		spec  int
		files hllb.Files
		want  string
	}{
		{"no version", 0, nil, `hardened.yaml:1:11: language: no Java version: the spec has no version (and there is no pom.xml or build.gradle to read one from); write version: "25"`},
		{"pom without version", 0, hllb.Files{"pom.xml": []byte("<project/>")}, "hardened.yaml:2:13: artifacts[0]: \"src/main/java/a/Main.java\" is a source file, but maven builds this project"},
		{"both builds", 1, hllb.Files{"pom.xml": nil, "build.gradle": nil}, "hardened.yaml:1:11: language: the build context has both pom.xml and build.gradle"},
		{"jar without a build", 1, nil, "hardened.yaml:3:13: artifacts[0]: \"target/a.jar\" is not a Java source file; without pom.xml or build.gradle"},
		{"pom release unsupported", 2, hllb.Files{"pom.xml": []byte("<maven.compiler.release>11</maven.compiler.release>")},
			`hardened.yaml:1:11: version: the maven build compiles for Java 11: Java 11 has no supported distroless image on Debian 13 (trixie); supported: 17, 21, 25; write version: "25"`},
	} {
		_, err := lang.Builder([]*spec.Spec{src, jar, unversioned}[tc.spec], tc.files, amd64, amd64)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want prefix %q", tc.name, err, tc.want)
		}
	}
}

func TestJavaSpecChecks(t *testing.T) {
	for yaml, want := range map[string]string{
		"language: java\nversion: \"1.8\"\nartifacts: [a.jar]\n":                                                                   `hardened.yaml:2:10: version: "1.8" is not a Java version; write version: "8"`,
		"language: java\nversion: v17\nartifacts: [a.jar]\n":                                                                       `hardened.yaml:2:10: version: "v17" is not a Java version`,
		"language: java\nartifacts: [target/lib, target/a.jar]\n":                                                                  `hardened.yaml:2:13: artifacts[0]: "target/lib" is neither a jar nor a Java source file`,
		"language: java\nartifacts: [a.jar]\nbase: static\n":                                                                       "hardened.yaml:3:7: base: language java does not use base; remove it",
		"language: java\nartifacts: [a.jar]\ncgo: true\n":                                                                          "hardened.yaml:3:6: cgo: language java does not use cgo; remove it",
		"language: java\nartifacts: [a.jar]\nbuild:\n  script: build\n":                                                            "hardened.yaml:4:11: build.script: language java does not use build.script; remove it",
		"language: java\nartifacts: [a.jar]\nbuild:\n  tags: [x]\n":                                                                "hardened.yaml:4:9: build.tags: language java does not use build.tags; remove it",
		"language: java\nartifacts: [a.jar]\nbuild:\n  ldflags: -s -w\n":                                                           "hardened.yaml:4:12: build.ldflags: language java does not use build.ldflags; remove it",
		"language: java\nartifacts: [a.jar]\nruntime:\n  jre: tiny\n":                                                              `hardened.yaml:4:8: runtime.jre: "tiny" is not a JRE this build makes; write runtime.jre: jlink`,
		"language: java\nartifacts: [a.jar]\nentrypoint: [/usr/bin/java, -jar, /app/a.jar]\n":                                      "hardened.yaml:3:14: entrypoint[0]: /usr/bin/java is not in the image: with runtime.jre: jlink, java is /opt/java/openjdk/bin/java",
		"language: java\nartifacts: [a.jar]\nruntime: {jre: full}\nhealthcheck:\n  test: [/opt/java/openjdk/bin/java, -version]\n": "hardened.yaml:5:10: healthcheck.test[0]: /opt/java/openjdk/bin/java is not in the image: with runtime.jre: full, java is /usr/bin/java",
		"language: go\nartifacts: [.]\nruntime: {jre: full}\n":                                                                     "hardened.yaml:3:16: runtime.jre: language go does not use runtime.jre; remove it",
	} {
		_, err := loadChecked(yaml)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", yaml, err, want)
		}
	}
	for _, ok := range []string{
		"language: java\nversion: \"21\"\nartifacts: [target/app.jar, target/lib]\n",
		"language: java\nartifacts: [target/lib]\nruntime: {jre: full}\nentrypoint: [/usr/bin/java, -cp, /app/lib/*, a.Main]\n",
		"language: java\nartifacts: [target/lib]\nruntime: {jre: jlink}\nentrypoint: [/opt/java/openjdk/bin/java, -cp, /app/lib/*, a.Main]\n",
	} {
		if _, err := loadChecked(ok); err != nil {
			t.Errorf("a valid java spec: %v", err)
		}
	}
}

func assertJavaCache(t *testing.T, o llbtest.Op, dest, id string, sharing pb.CacheSharingOpt) {
	t.Helper()
	for _, m := range o.Op.GetExec().GetMounts() {
		if m.Dest == dest {
			if m.MountType != pb.MountType_CACHE || m.CacheOpt.GetID() != id || m.CacheOpt.GetSharing() != sharing {
				t.Errorf("%s: mount %s = type %v id %q sharing %v, want %v cache %q", o.Name, dest, m.MountType, m.CacheOpt.GetID(), m.CacheOpt.GetSharing(), sharing, id)
			}
			return
		}
	}
	t.Errorf("%s: no mount at %s", o.Name, dest)
}

// Two main classes: one step, each compiled into its own classes directory and jarred in turn.
func TestJavaJavacTwoMains(t *testing.T) {
	s := load(t, "language: java\nversion: \"21\"\nartifacts: [src/main/java/a/A.java, tools/B.java]\n")
	_, g := convert(t, s, resolved(t, s, hllb.Files{}, amd64))
	step := g.Named(t, "javac --release 21 and jar in one JVM: /hardened/out/A.jar /hardened/out/B.jar; jdeps: the modules they need, into /hardened/jre-modules/modules")
	args := strings.Join(step.Op.GetExec().GetMeta().GetArgs(), " ")
	want := "java -XX:TieredStopAtLevel=1 /hardened/java/HardenedBuild.java " +
		"javac --release 21 -encoding UTF-8 -implicit:class -d /tmp/hardened/classes/a.A --source-path /src/src/main/java /src/src/main/java/a/A.java -- " +
		"jar --create --file /hardened/out/A.jar --main-class a.A --date 1980-01-01T00:00:02Z -C /tmp/hardened/classes/a.A . -C /src/src/main/resources . -- " +
		"javac --release 21 -encoding UTF-8 -implicit:class -d /tmp/hardened/classes/B --source-path /src/tools /src/tools/B.java -- " +
		"jar --create --file /hardened/out/B.jar --main-class B --date 1980-01-01T00:00:02Z -C /tmp/hardened/classes/B . -- " +
		"app-modules 21 /hardened/out /hardened/jre-modules/modules"
	if args != want {
		t.Errorf("args = %s\nwant   %s", args, want)
	}
	if n := len(g.Execs()); n != 2 {
		t.Errorf("the build runs %d steps, want one for both mains and the JRE's", n)
	}
}

// assertJlink finds the step that links the app's JRE: on the builder image as it is before the build,
// with only the module list of the step that wrote it (modules) mounted read-only, so a source change
// that needs the same modules links nothing; without the network, its files dated as the jars are, with
// HardenedBuild.java in its root.
func assertJlink(t *testing.T, g *llbtest.Graph, date string, modules, source llbtest.Op) llbtest.Op {
	t.Helper()
	o := g.Named(t, "jlink: a Java runtime of the modules the jars need (/hardened/jre-modules/modules), at /hardened/jre")
	want := []string{"java", "-XX:TieredStopAtLevel=1", "/hardened/java/HardenedBuild.java", "app-jre", "/hardened/jre-modules/modules", "/hardened/jre", date}
	if args := o.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, want) {
		t.Errorf("jlink args = %q, want %q", args, want)
	}
	if o.Op.GetExec().Network != pb.NetMode_NONE {
		t.Error("the JRE's step has network")
	}
	listed := false
	for _, m := range o.Op.GetExec().GetMounts() {
		if root, ok := g.Input(o, int(m.Input)); m.Dest == "/" && (!ok || root.Digest == source.Digest || g.DependsOn(root, source.Digest)) {
			t.Error("the JRE's step is on the source copy: every source change would link again")
		}
		if m.Dest == "/hardened/jre-modules" {
			in, ok := g.Input(o, int(m.Input))
			listed = ok && in.Digest == modules.Digest && m.Readonly && m.Selector == "/hardened/jre-modules" && m.MountType == pb.MountType_BIND
		}
	}
	if !listed {
		t.Errorf("the JRE's step does not mount /hardened/jre-modules alone, read-only, from %q", modules.Name)
	}
	written := false
	for _, op := range g.Ops {
		for _, a := range op.Op.GetFile().GetActions() {
			if f := a.GetMkfile(); f != nil && f.Path == "/hardened/java/HardenedBuild.java" && slices.Equal(f.Data, javaTool(t)) && g.DependsOn(o, op.Digest) {
				written = true
			}
		}
	}
	if !written {
		t.Error("the JRE's step runs without HardenedBuild.java")
	}
	return o
}

// runtime.jre: jlink (the default) on Debian 12, whose cc lacks zlib, puts zlib1g in the plan's runtime
// libs once, after the spec's own; on Debian 13, whose cc has it, and with full it adds nothing. The spec
// itself is never changed: Validate is pure.
func TestJavaJlinkLibs(t *testing.T) {
	files := hllb.Files{"pom.xml": []byte("<project><properties><maven.compiler.release>21</maven.compiler.release></properties></project>")}
	for _, tc := range []struct {
		yaml       string
		spec, want []string
	}{
		{"language: java\nartifacts: [a.jar]\n", nil, nil},
		{"language: java\ndebian: \"12\"\nartifacts: [a.jar]\n", nil, []string{"zlib1g"}},
		{"language: java\nartifacts: [a.jar]\nruntime:\n  libs: [libsqlite3-0]\n", []string{"libsqlite3-0"}, []string{"libsqlite3-0"}},
		{"language: java\ndebian: \"12\"\nartifacts: [a.jar]\nruntime:\n  libs: [libsqlite3-0]\n", []string{"libsqlite3-0"}, []string{"libsqlite3-0", "zlib1g"}},
		{"language: java\ndebian: \"12\"\nartifacts: [a.jar]\nruntime:\n  libs: [zlib1g, libpq5]\n  jre: jlink\n", []string{"zlib1g", "libpq5"}, []string{"zlib1g", "libpq5"}},
		{"language: java\nartifacts: [a.jar]\nruntime:\n  jre: full\n", nil, nil},
	} {
		s, err := loadChecked(tc.yaml)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(registry.SpecOptions()...); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Runtime.Libs, tc.spec) {
			t.Errorf("%q: validation changed runtime.libs to %q, want the spec's %q", tc.yaml, s.Runtime.Libs, tc.spec)
		}
		pl, err := plan.New(s, files, amd64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pl.RuntimeLibs, tc.want) {
			t.Errorf("%q: the plan's runtime libs = %q, want %q", tc.yaml, pl.RuntimeLibs, tc.want)
		}
		if (pl.Libs != nil) != (len(tc.want) > 0) {
			t.Errorf("%q: the plan's libs image = %v with runtime libs %q", tc.yaml, pl.Libs, tc.want)
		}
		if !slices.Equal(s.Runtime.Libs, tc.spec) {
			t.Errorf("%q: planning changed runtime.libs to %q", tc.yaml, s.Runtime.Libs)
		}
	}
}

// Validate leaves every field of the spec as it was loaded, whatever the JRE.
func TestJavaValidateIsPure(t *testing.T) {
	for _, yaml := range []string{
		"language: java\nartifacts: [a.jar]\n",
		"language: java\nartifacts: [a.jar]\nruntime:\n  libs: [libsqlite3-0]\n  jre: jlink\n",
		"language: java\nartifacts: [a.jar]\nruntime:\n  jre: full\n",
	} {
		s := load(t, yaml) // not yet checked by any language
		before := fmt.Sprintf("%#v", *s)
		l, _ := registry.Lookup("java")
		if errs := l.Validate(s); len(errs) > 0 {
			t.Fatalf("%q: %v", yaml, errs)
		}
		if after := fmt.Sprintf("%#v", *s); after != before {
			t.Errorf("%q: Validate changed the spec:\nbefore %s\nafter  %s", yaml, before, after)
		}
	}
}

// javaTool is the HardenedBuild source the javac build writes into the builder.
func javaTool(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("javatool", "HardenedBuild.java"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
