package java

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDetectMavenLibraries: a pom whose copy-dependencies goal fills target/lib gets that directory as an
// artifact beside the jar (examples/java-maven's pom); without the goal, or with it commented out, the
// jar alone.
func TestDetectMavenLibraries(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "java-maven", "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	commented := strings.Replace(string(example), "<executions>", "<!-- <executions>", 1)
	commented = strings.Replace(commented, "</executions>", "</executions> -->", 1)
	for _, tc := range []struct {
		name, pom string
		want      []string
	}{
		{"example", string(example), []string{"target/hello-maven.jar", "target/lib"}},
		{"no copy-dependencies", strings.ReplaceAll(string(example), "copy-dependencies", "tree"), []string{"target/hello-maven.jar"}},
		{"commented out", commented, []string{"target/hello-maven.jar"}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(tc.pom), 0o644); err != nil {
			t.Fatal(err)
		}
		det, err := Language{}.Detect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(det.Artifacts, tc.want) {
			t.Errorf("%s: artifacts %q, want %q", tc.name, det.Artifacts, tc.want)
		}
	}
}

// TestDetectSpringBoot: a pom that declares spring-boot-maven-plugin gets the jar mvn package leaves, which
// the plugin repackages into a fat jar java -jar runs, no main-class warning, and the comment says so; the
// starter parent without the plugin (which it only manages) gets a warning instead.
func TestDetectSpringBoot(t *testing.T) {
	const parent = `<parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.5.0</version></parent>`
	const plugin = `<build><plugins><plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build>`
	const managed = `<build><pluginManagement><plugins><plugin><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></pluginManagement></build>`
	for _, tc := range []struct {
		name, pom   string
		fat, warned bool
	}{
		{"parent and plugin", parent + plugin, true, false},
		{"plugin alone", plugin, true, false},
		{"parent alone", parent, false, true},
		{"parent, plugin only managed", parent + managed, false, true},
		{"plugin commented out", parent + "<!--" + plugin + "-->", false, true},
	} {
		dir := t.TempDir()
		pom := "<project>" + tc.pom + "<artifactId>demo</artifactId><version>0.0.1-SNAPSHOT</version></project>"
		if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644); err != nil {
			t.Fatal(err)
		}
		det, err := Language{}.Detect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(det.Artifacts, []string{"target/demo-0.0.1-SNAPSHOT.jar"}) {
			t.Errorf("%s: artifacts %q", tc.name, det.Artifacts)
		}
		if fat := strings.Contains(det.Comments["artifacts"], "Spring Boot's repackage goal makes\na fat jar"); fat != tc.fat {
			t.Errorf("%s: fat-jar comment %v, want %v: %q", tc.name, fat, tc.fat, det.Comments["artifacts"])
		}
		warned := slices.ContainsFunc(det.Warnings, func(w string) bool { return strings.Contains(w, "only manages spring-boot-maven-plugin") })
		if warned != tc.warned {
			t.Errorf("%s: starter-parent warning %v, want %v: %q", tc.name, warned, tc.warned, det.Warnings)
		}
		if !strings.HasSuffix(det.Comments["artifacts"], jreComment) {
			t.Errorf("%s: the comment does not say which JRE runs the jar: %q", tc.name, det.Comments["artifacts"])
		}
	}
}
