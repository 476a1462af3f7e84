package java

import (
	"github.com/hardenedbuild/hardened/lang"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// defaultJavaVersion is written when neither the spec's project files nor .java-version say
// which Java builds and runs the app: the oldest LTS release still commonly supported.
const defaultJavaVersion = "21"

// javaMainNames are class names that usually start the app, in the order init prefers them.
var javaMainNames = []string{"Main", "App", "Application", "Server"}

var (
	javaMainMethod = regexp.MustCompile(`\b(?:public\s+static|static\s+public)\s+(?:final\s+)?void\s+main\s*\(`)
	javaComment    = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	xmlComment     = regexp.MustCompile(`(?s)<!--.*?-->`)
	javaVersionRC  = regexp.MustCompile(`^(?:[a-z]+-)?(?:1\.)?([0-9]+)`)
)

// detectJava reads how the project builds, as the frontend does: pom.xml is Maven,
// build.gradle(.kts) Gradle, else javac on the main class under src/main/java.
func (Language) Detect(dir string) (*lang.Detection, error) {
	tool, gradleFile, both := buildOf(func(name string) bool { return lang.IsFile(filepath.Join(dir, name)) })
	det := &lang.Detection{Comments: map[string]string{}, FallbackVersion: defaultJavaVersion}
	var err error
	switch {
	case both:
		return nil, fmt.Errorf("java: both pom.xml and %s are here and the build refuses to guess which is real; remove the one the project no longer uses", gradleFile)
	case tool == maven:
		det.Marker, det.VersionFrom = "pom.xml", "pom.xml"
		err = detectMaven(dir, det)
	case tool == gradle:
		det.Marker, det.VersionFrom = gradleFile, gradleFile
		err = detectGradle(dir, gradleFile, det)
	default:
		if fi, statErr := os.Stat(filepath.Join(dir, "src", "main", "java")); statErr != nil || !fi.IsDir() {
			return nil, nil
		}
		det.Marker = "src/main/java"
		err = detectJavac(dir, det)
	}
	if err != nil {
		return nil, err
	}
	det.FallbackComment = "Nothing in the project says which Java it needs: the feature release javac compiles for\nand the image runs."
	if v := javaVersionFile(dir); v != "" {
		det.FallbackVersion = v
		det.FallbackComment = "From .java-version: the feature release javac compiles for and the image runs."
	}
	det.Comments["artifacts"] += "\n" + jreComment
	return det, nil
}

// jreComment tells what runs the jars, since init leaves runtime.jre at its default.
const jreComment = "The image's java is a JRE of only the modules the jars need (jdeps and jlink, at\n" +
	"/opt/java/openjdk on distroless cc). An app that loads JDK modules by name (reflection, scripting, JMX) needs\n" +
	"runtime: {jre: full}, distroless java's whole JRE."

// javaVersionFile is the feature release .java-version names (17, 17.0.9, temurin-21), if any.
func javaVersionFile(dir string) string {
	dt, err := os.ReadFile(filepath.Join(dir, ".java-version"))
	if err != nil {
		return ""
	}
	if m := javaVersionRC.FindStringSubmatch(strings.TrimSpace(string(dt))); m != nil && m[1] != "0" {
		return m[1]
	}
	return ""
}

// detectJavac finds the classes with a main method under src/main/java: the first by
// javaMainNames, else by path, is the artifact, and the others are named.
func detectJavac(dir string, det *lang.Detection) error {
	root := filepath.Join(dir, "src", "main", "java")
	var mains []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".java") || e.Name() == "module-info.java" || e.Name() == "package-info.java" {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if javaMainMethod.Match(javaComment.ReplaceAll(src, nil)) {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			mains = append(mains, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(mains) == 0 {
		return errors.New("java: src/main/java found, but no class in it has public static void main; write the spec by hand (docs/languages.md)")
	}
	rank := func(a string) int {
		if i := slices.Index(javaMainNames, strings.TrimSuffix(path.Base(a), ".java")); i >= 0 {
			return i
		}
		return len(javaMainNames)
	}
	slices.SortStableFunc(mains, func(a, b string) int { return rank(a) - rank(b) })
	det.Artifacts = mains[:1]
	for _, m := range mains[1:] {
		det.Warnings = append(det.Warnings, fmt.Sprintf("%s has a main method too; add it to artifacts to ship its jar as well, or put it first to run it", m))
	}
	det.Comments["artifacts"] = "No pom.xml or build.gradle: javac compiles this main class and the classes it uses from\nsrc/main/java, and jar makes /app/" + strings.TrimSuffix(path.Base(mains[0]), ".java") + ".jar (with src/main/resources)."
	return nil
}

// pomProject is what init reads of pom.xml: the project's own coordinates, not its parent's,
// dependencies' or plugins'.
type pomProject struct {
	artifactID, version, packaging, finalName string
}

// readPom reads the project's own elements of a pom.xml with the nested sections removed,
// resolving ${...} from its properties and coordinates.
func readPom(dt []byte) (pomProject, string) {
	text := xmlComment.ReplaceAllString(string(dt), "")
	parentVersion := xmlElement(xmlSection(text, "parent"), "version")
	props := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<([A-Za-z0-9_.-]+)>\s*([^<]*?)\s*</[A-Za-z0-9_.-]+>`).FindAllStringSubmatch(xmlSection(text, "properties"), -1) {
		props[m[1]] = m[2]
	}
	for _, tag := range []string{"parent", "profiles", "pluginManagement", "plugins", "dependencyManagement", "dependencies", "properties", "reporting", "extensions", "modules", "repositories", "pluginRepositories", "distributionManagement", "developers", "licenses", "scm"} {
		text = regexp.MustCompile(`(?s)<`+tag+`\b[^>]*>.*?</`+tag+`>`).ReplaceAllString(text, "")
	}
	p := pomProject{
		artifactID: xmlElement(text, "artifactId"),
		version:    xmlElement(text, "version"),
		packaging:  xmlElement(text, "packaging"),
		finalName:  xmlElement(text, "finalName"),
	}
	if p.version == "" {
		p.version = parentVersion
	}
	if p.packaging == "" {
		p.packaging = "jar"
	}
	props["project.artifactId"], props["artifactId"] = p.artifactID, p.artifactID
	props["project.version"], props["version"] = p.version, p.version
	expand := func(s string) string {
		for i := 0; i < 5 && strings.Contains(s, "${"); i++ {
			s = regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(s, func(ref string) string {
				if v, ok := props[ref[2:len(ref)-1]]; ok {
					return v
				}
				return ref
			})
		}
		return s
	}
	p.version, p.finalName = expand(p.version), expand(p.finalName)
	return p, string(dt)
}

// xmlSection is the text inside the first <tag>...</tag>.
func xmlSection(text, tag string) string {
	m := regexp.MustCompile(`(?s)<` + tag + `\b[^>]*>(.*?)</` + tag + `>`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// xmlElement is the trimmed text of the first <tag>...</tag>.
func xmlElement(text, tag string) string {
	return strings.TrimSpace(xmlSection(text, tag))
}

// detectMaven names the jar mvn package leaves: target/<finalName>.jar, by default
// <artifactId>-<version>.jar.
func detectMaven(dir string, det *lang.Detection) error {
	dt, err := os.ReadFile(filepath.Join(dir, "pom.xml"))
	if err != nil {
		return err
	}
	p, raw := readPom(dt)
	switch {
	case p.packaging == "pom":
		return errors.New("java: pom.xml is an aggregator (packaging pom): its modules make the jars; run hardened init in the module that makes the application")
	case p.packaging != "jar":
		return fmt.Errorf("java: pom.xml makes a %s (packaging %s), which java -jar does not run; write the spec by hand with the entrypoint that runs it", p.packaging, p.packaging)
	case p.artifactID == "":
		return errors.New("java: pom.xml has no artifactId; write the spec by hand with artifacts: [target/NAME.jar]")
	}
	name := p.finalName
	if name == "" {
		name = p.artifactID + "-" + p.version
		if p.version == "" {
			name = p.artifactID
		}
	}
	jar := "target/" + name + ".jar"
	if strings.Contains(jar, "${") {
		det.Warnings = append(det.Warnings, fmt.Sprintf("%s has a property init cannot resolve; put the jar mvn package makes in artifacts", jar))
	}
	det.Artifacts = []string{jar}
	if lib := copiedLibraries(raw); lib != "" {
		det.Artifacts = append(det.Artifacts, lib)
	}
	from := "artifactId " + p.artifactID
	if p.version != "" {
		from += ", version " + p.version
	}
	if p.finalName != "" {
		from = "build.finalName"
	}
	det.Comments["artifacts"] = "The jar mvn package leaves (pom.xml's " + from + "); java -jar runs it."
	switch plugin, parent := springBoot(raw); {
	case plugin:
		det.Comments["artifacts"] = "The jar mvn package leaves (pom.xml's " + from + "), which Spring Boot's repackage goal makes\n" +
			"a fat jar (the app's libraries in BOOT-INF/lib, jdeps reads them too); java -jar runs it."
	case parent:
		det.Warnings = append(det.Warnings, "pom.xml's parent is spring-boot-starter-parent, which only manages spring-boot-maven-plugin: "+
			"without it in <build><plugins>, mvn package makes a jar without the libraries or a launcher; add the plugin")
	}
	if len(det.Artifacts) > 1 {
		det.Comments["artifacts"] += "\n" + det.Artifacts[1] + ": the libraries maven-dependency-plugin's copy-dependencies puts there, which the\njar's manifest Class-Path names beside it."
	}
	if !strings.Contains(raw, "<mainClass>") && !strings.Contains(raw, "Main-Class") && !strings.Contains(raw, "spring-boot-maven-plugin") {
		det.Warnings = append(det.Warnings, "pom.xml sets no main class: java -jar needs Main-Class in the jar's manifest "+
			"(maven-jar-plugin's <archive><manifest><mainClass>, maven-shade-plugin or spring-boot-maven-plugin)")
	}
	return nil
}

// springBoot says whether the pom declares Spring Boot's plugin, which repackages the jar mvn package makes
// into one java -jar runs with the libraries inside, and whether its parent is the starter parent, which
// configures that plugin but does not run it unless the pom names it.
func springBoot(pom string) (plugin, parent bool) {
	pom = xmlComment.ReplaceAllString(pom, "")
	plugins := xmlSection(regexp.MustCompile(`(?s)<pluginManagement\b.*?</pluginManagement>`).ReplaceAllString(pom, ""), "plugins")
	return strings.Contains(plugins, "<artifactId>spring-boot-maven-plugin</artifactId>"),
		strings.Contains(xmlSection(pom, "parent"), "<artifactId>spring-boot-starter-parent</artifactId>")
}

// pomCopyDependencies is a copy-dependencies output directory under the build directory.
var pomCopyDependencies = regexp.MustCompile(`<outputDirectory>\s*\$\{project\.build\.directory\}/([A-Za-z0-9._/-]+?)/?\s*</outputDirectory>`)

// copiedLibraries is where the pom's copy-dependencies goal puts the libraries (target/<dir>), when it runs
// one into the build directory: the image needs them beside the jar whose Class-Path names them.
func copiedLibraries(pom string) string {
	pom = xmlComment.ReplaceAllString(pom, "")
	if !strings.Contains(pom, "<goal>copy-dependencies</goal>") {
		return ""
	}
	if m := pomCopyDependencies.FindStringSubmatch(pom); m != nil && !strings.Contains(m[1], "..") {
		return "target/" + m[1]
	}
	return ""
}

var (
	gradleRootName = regexp.MustCompile(`(?m)^\s*rootProject\.name\s*=\s*["']([^"']+)["']`)
	gradleVersion  = regexp.MustCompile(`(?m)^\s*version\s*(?:=\s*)?["']([^"']+)["']`)
	gradleProp     = regexp.MustCompile(`(?m)^\s*version\s*[=:]\s*(\S+)\s*$`)
	gradleInclude  = regexp.MustCompile(`(?m)^\s*include\b`)
	gradleRename   = regexp.MustCompile(`\barchive(?:FileName|BaseName|Version|Classifier)\b|\bbaseName\s*=`)
)

// detectGradle names the jar assemble leaves: build/libs/<project name>[-<version>].jar, the
// name from settings.gradle's rootProject.name, else the directory.
func detectGradle(dir, buildFile string, det *lang.Detection) error {
	build, err := os.ReadFile(filepath.Join(dir, buildFile))
	if err != nil {
		return err
	}
	name, from := "", "the directory's name"
	for _, f := range []string{"settings.gradle.kts", "settings.gradle"} {
		dt, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		if m := gradleRootName.FindSubmatch(dt); m != nil {
			name, from = string(m[1]), f+"'s rootProject.name"
		}
		if gradleInclude.Match(dt) {
			det.Warnings = append(det.Warnings, f+" includes subprojects: the jar named here is the root project's; name the application's (sub/build/libs/...) if it is another")
		}
		break
	}
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		name = filepath.Base(abs)
	}
	version := ""
	if m := gradleVersion.FindSubmatch(build); m != nil {
		version = string(m[1])
	} else if dt, err := os.ReadFile(filepath.Join(dir, "gradle.properties")); err == nil {
		if m := gradleProp.FindSubmatch(dt); m != nil {
			version = string(m[1])
		}
	}
	jar := "build/libs/" + name + ".jar"
	if version != "" && version != "unspecified" {
		jar = "build/libs/" + name + "-" + version + ".jar"
		from += ", version " + version
	}
	det.Artifacts = []string{jar}
	det.Comments["artifacts"] = "The jar gradle assemble leaves (" + from + "); java -jar runs it."
	if gradleRename.Match(build) {
		det.Warnings = append(det.Warnings, buildFile+" renames its archives: check that "+jar+" is the jar the build makes")
	}
	text := string(build)
	if !strings.Contains(text, "Main-Class") && !strings.Contains(text, "org.springframework.boot") && !strings.Contains(text, "shadow") {
		det.Warnings = append(det.Warnings, buildFile+" sets no Main-Class: java -jar needs it in the jar's manifest "+
			"(jar { manifest { attributes 'Main-Class': '...' } }, the Shadow plugin or Spring Boot)")
	}
	return nil
}
