package java

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/lifecycle"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// java builds jars with a JDK image, by whichever build the context has: Maven (pom.xml),
// Gradle (build.gradle or build.gradle.kts, through ./gradlew when present), or javac and jar
// alone. The jars run on distroless java, which has a JRE and no JDK, shell or package manager.
//
// With Maven or Gradle, artifacts are paths the build leaves (target/app.jar, target/lib),
// each at /app/<name>. Without either, each artifact is a main class's source file: javac
// compiles it and every class it uses from its source root, and jar makes /app/<Class>.jar.
// The first artifact's jar is what java -jar runs.
type Language struct{}

// javaEntry is where distroless java has its launcher (runtime.jre: full).
const javaEntry = "/usr/bin/java"

// javaSourceRoot is the Maven layout's source root; a main class under it is in the package
// its directories name, and src/main/resources goes into its jar.
const javaSourceRoot = "src/main/java"

// Cache mounts, at the paths the maven and gradle images use for the root user. Maven's is its local
// repository alone, not /root/.m2: a settings.xml secret mounted at /root/.m2/settings.xml then sits in the
// builder's file system, where BuildKit removes the empty file it mounts over, not in the cache.
const (
	mavenRepoDir  = "/root/.m2/repository"
	gradleHomeDir = "/root/.gradle"
)

// gradleInitScript makes every archive task reproducible: fixed timestamps, sorted entries.
const gradleInitScript = `// Written by hardened: archives with fixed timestamps and a sorted file order.
allprojects {
    tasks.withType(AbstractArchiveTask).configureEach {
        preserveFileTimestamps = false
        reproducibleFileOrder = true
    }
}
`

// gradleInitPath is where the builder gets gradleInitScript, outside the source tree.
const gradleInitPath = "/hardened/reproducible.init.gradle"

// Includes are none: the Maven and Gradle builds are not read for paths.
func (Language) Includes(llb.Files) []llb.Include { return nil }

// Describe is the language's part of the spec fields' descriptions.
func (Language) Describe() map[string]string {
	return map[string]string{
		"version":   "17, 21 or 25, default from pom.xml or build.gradle",
		"artifacts": "main-class source files (javac) or the jar Maven/Gradle build",
	}
}

func (Language) Name() string { return "java" }

func (Language) Inputs() lang.Inputs {
	return lang.Inputs{Manifests: []string{"pom.xml", "build.gradle", "build.gradle.kts", "gradlew"},
		Fields: []string{"version", "build.env", "build.steps", "build.packages", "runtime.jre"}, Markers: []string{"pom.xml", "build.gradle", "src/main/java"},
		BuilderImages: []string{"maven", "gradle", "eclipse-temurin", "openjdk", "amazoncorretto"}}
}

func (Language) Layout() lang.Layout { return lang.Layout{AppDir: true, RuntimeLibs: jreLibs} }

// javaTool is how the context is built.
type javaTool int

const (
	javac javaTool = iota
	maven
	gradle
)

func (t javaTool) String() string { return [...]string{"javac", "maven", "gradle"}[t] }

// detectJavaTool says how the context builds: pom.xml is Maven, build.gradle(.kts) Gradle, and
// neither plain javac. Both at once is refused, since either could be the real build.
func detectJavaTool(s *spec.Spec, files llb.Files) (javaTool, error) {
	tool, gradleFile, both := buildOf(func(name string) bool { _, ok := files[name]; return ok })
	if both {
		return 0, spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language",
			Msg:  "the build context has both pom.xml and " + gradleFile + "; either could be the build",
			Hint: "remove the one the project no longer uses, or build from a directory that has only one"}}
	}
	return tool, nil
}

// buildOf is the build the root's files make (has says a file is there): pom.xml is Maven,
// build.gradle.kts or build.gradle Gradle, neither javac. both says pom.xml and gradleFile are
// there, so either could be the build; tool is then Maven.
func buildOf(has func(name string) bool) (tool javaTool, gradleFile string, both bool) {
	for _, f := range []string{"build.gradle.kts", "build.gradle"} {
		if has(f) {
			gradleFile = f
			break
		}
	}
	switch pom := has("pom.xml"); {
	case pom:
		return maven, gradleFile, gradleFile != ""
	case gradleFile != "":
		return gradle, gradleFile, false
	}
	return javac, "", false
}

var javaVersionForm = regexp.MustCompile(`^[1-9][0-9]*$`)

func (Language) Validate(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	if v := s.Version; v != "" && !javaVersionForm.MatchString(v) {
		hint := `write the Java feature release, e.g. version: "17" or "21"`
		if rest, ok := strings.CutPrefix(v, "1."); ok && javaVersionForm.MatchString(rest) {
			hint = fmt.Sprintf("write version: %q (Java %s is no longer written 1.%s)", rest, rest, rest)
		}
		errs = append(errs, spec.Error{Field: "version", Msg: fmt.Sprintf("%q is not a Java version", v), Hint: hint})
	} else if e := javaReleaseError(s, "version", spec.Pos{}, "", v); v != "" && e != nil {
		errs = append(errs, *e)
	}
	errs = append(errs, validateJRE(s)...)
	if len(s.Entrypoint) == 0 && len(s.Artifacts) > 0 {
		if a := s.Artifacts[0]; !strings.HasSuffix(a, ".jar") && !strings.HasSuffix(a, ".java") {
			errs = append(errs, spec.Error{Field: "artifacts[0]", Msg: fmt.Sprintf("%q is neither a jar nor a Java source file; java -jar runs the first artifact", a),
				Hint: "put the jar the build makes first (e.g. target/app.jar), or the main class's source file to build with javac (src/main/java/com/example/Main.java)"})
		}
	}
	return errs
}

func (Language) Builder(s *spec.Spec, files llb.Files, _, build ocispecs.Platform) (llb.ImageRequest, error) {
	tool, err := detectJavaTool(s, files)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	if err := checkJavaArtifacts(s, tool); err != nil {
		return llb.ImageRequest{}, err
	}
	v, field, err := javaVersion(s, files, tool)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	// Jars are the same on every platform: the JDK runs where the build does, never emulated.
	return llb.ImageRequest{Ref: javaBuilderRef(llb.DebianOf(s), tool, v, files), Role: "builder", Platform: build, Field: field}, nil
}

// javaBuilderRef is the official image with the JDK and the build tool: maven's for Maven,
// gradle's for Gradle without a wrapper, else Eclipse Temurin's JDK (Ubuntu, noble for Debian 13,
// named in the tag so the builder's OS does not move under a rebuild).
func javaBuilderRef(g llb.DebianGen, tool javaTool, v string, files llb.Files) string {
	switch _, wrapper := files["gradlew"]; {
	case tool == maven:
		return "docker.io/library/maven:3-eclipse-temurin-" + v + g.Maven
	case tool == gradle && !wrapper:
		return "docker.io/library/gradle:jdk" + v + g.Gradle
	}
	return "docker.io/library/eclipse-temurin:" + v + g.JavaJDK
}

// javaReleaseError refuses a Java release distroless has no java image of for the spec's Debian;
// from says where a release not written in the spec came from.
func javaReleaseError(s *spec.Spec, field string, pos spec.Pos, from, v string) *spec.Error {
	if slices.Contains(llb.DebianOf(s).JavaReleases(), v) {
		return nil
	}
	if from == "" {
		from = fmt.Sprintf("%q: ", v)
	}
	e := llb.UnsupportedVersion(s, field, pos, "Java", lifecycle.Java, from, v, llb.DebianGen.JavaReleases)
	return &e
}

// checkJavaArtifacts: javac builds source files into jars; Maven and Gradle leave jars.
func checkJavaArtifacts(s *spec.Spec, tool javaTool) error {
	var errs spec.Errors
	for i, a := range s.Artifacts {
		field := fmt.Sprintf("artifacts[%d]", i)
		switch isSource := strings.HasSuffix(a, ".java"); {
		case tool == javac && !isSource:
			errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field,
				Msg:  fmt.Sprintf("%q is not a Java source file; without pom.xml or build.gradle, artifacts are main classes for javac", a),
				Hint: "name the main class's source file, e.g. src/main/java/com/example/Main.java, or add the project's pom.xml or build.gradle"})
		case tool != javac && isSource:
			errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field,
				Msg:  fmt.Sprintf("%q is a source file, but %s builds this project and makes jars", a, tool),
				Hint: "name the jar the build makes, e.g. target/app.jar (Maven) or build/libs/app.jar (Gradle)"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (Language) Base(s *spec.Spec, files llb.Files, target ocispecs.Platform) (llb.ImageRequest, error) {
	tool, err := detectJavaTool(s, files)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	v, field, err := javaVersion(s, files, tool)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	if jlinked(s) {
		// The app's JRE and the libraries it links come with the build; cc has glibc and libstdc++.
		return llb.Distroless(s, "cc", target, field), nil
	}
	return llb.Distroless(s, "java"+v, target, field), nil
}

// BaseReadsNoFiles: a version in the spec names the Java release before pom.xml or the Gradle build
// (BaseFromSpec). The files still decide the build tool, which the base does not depend on.
func (Language) BaseNeedsFiles(s *spec.Spec) bool { return s.Version == "" }

func (Language) Entrypoint(s *spec.Spec, _ llb.Files) []string {
	if len(s.Artifacts) == 0 {
		return nil
	}
	return []string{javaPath(s), "-jar", llb.ArtifactDir + "/" + javaArtifactName(s.Artifacts[0])}
}

func (Language) ArtifactName(artifact string, _ llb.Files) string { return spec.ArtifactName(artifact) }

func (Language) ImageEnv(*spec.Spec) map[string]string { return nil }

// javaArtifactName is an artifact's name under /app: a source file's jar (Main.java gives
// Main.jar), else the artifact's own name.
func javaArtifactName(a string) string {
	name := spec.ArtifactName(a)
	if base, ok := strings.CutSuffix(name, ".java"); ok {
		return base + ".jar"
	}
	return name
}

// javaMainClass splits a main class's source file into its source root and class name: the
// package is the path under src/main/java, and a file elsewhere is in the unnamed package.
func javaMainClass(a string) (root, class string) {
	clean := path.Clean(a)
	if rest, ok := strings.CutPrefix(clean, javaSourceRoot+"/"); ok {
		return javaSourceRoot, strings.ReplaceAll(strings.TrimSuffix(rest, ".java"), "/", ".")
	}
	if i := strings.Index(clean, "/"+javaSourceRoot+"/"); i >= 0 {
		rest := clean[i+len(javaSourceRoot)+2:]
		return clean[:i+len(javaSourceRoot)+1], strings.ReplaceAll(strings.TrimSuffix(rest, ".java"), "/", ".")
	}
	return path.Dir(clean), strings.TrimSuffix(path.Base(clean), ".java")
}

var (
	pomRelease      = regexp.MustCompile(`<(?:maven\.compiler\.release|release)>\s*(?:1\.)?([0-9]+)\s*<`)
	pomSource       = regexp.MustCompile(`<(?:maven\.compiler\.source|java\.version|source)>\s*(?:1\.)?([0-9]+)\s*<`)
	gradleToolchain = regexp.MustCompile(`JavaLanguageVersion\.of\(\s*["']?([0-9]+)["']?\s*\)`)
	gradleSourceCom = regexp.MustCompile(`sourceCompatibility\s*=?\s*(?:JavaVersion\.VERSION_(?:1_)?([0-9]+)|["']?(?:1\.)?([0-9]+)["']?)`)
)

// javaVersion is the spec's version, else the release pom.xml compiles for (release, then
// source or java.version) or the Gradle build's toolchain or sourceCompatibility. There is no
// silent default: which Java runs the app is the team's choice.
func javaVersion(s *spec.Spec, files llb.Files, tool javaTool) (version, field string, err error) {
	if s.Version != "" {
		if e := javaReleaseError(s, "version", s.Pos("version"), "", s.Version); e != nil {
			return "", "", spec.Errors{*e}
		}
		return s.Version, "version", nil
	}
	var found string
	switch tool {
	case maven:
		pom := files["pom.xml"]
		for _, re := range []*regexp.Regexp{pomRelease, pomSource} {
			if m := re.FindSubmatch(pom); m != nil && found == "" {
				found = string(m[1])
			}
		}
	case gradle:
		for _, f := range []string{"build.gradle.kts", "build.gradle"} {
			if m := gradleToolchain.FindSubmatch(files[f]); m != nil && found == "" {
				found = string(m[1])
			}
			if m := gradleSourceCom.FindSubmatch(files[f]); m != nil && found == "" {
				found = string(m[1]) + string(m[2])
			}
		}
	}
	if found != "" && found != "0" {
		if e := javaReleaseError(s, "version", s.Pos("language"), fmt.Sprintf("the %s build compiles for Java %s: ", tool, found), found); e != nil {
			e.Hint += " in the spec (the JDK compiles for the project's release with --release)"
			return "", "", spec.Errors{*e}
		}
		return found, "language", nil
	}
	from := map[javaTool]string{
		javac:  "the spec has no version (and there is no pom.xml or build.gradle to read one from)",
		maven:  "the spec has no version and pom.xml no maven.compiler.release, maven.compiler.source or java.version",
		gradle: "the spec has no version and the Gradle build no JavaLanguageVersion.of(...) or sourceCompatibility",
	}[tool]
	return "", "", spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language",
		Msg: "no Java version: " + from, Hint: fmt.Sprintf("write version: %q in the spec", newestJava(s))}}
}

// newestJava is the newest Java release the spec's Debian supports, for hints.
func newestJava(s *spec.Spec) string {
	if r := llb.DebianOf(s).JavaReleases(); len(r) > 0 {
		return r[len(r)-1]
	}
	return ""
}
