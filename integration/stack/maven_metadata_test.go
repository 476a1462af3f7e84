package stack

import (
	"archive/zip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMavenMetadata: from the poms and jars a repository holds, a group that holds plugins lists each plugin's
// goal prefix (read from its descriptor), each artifact lists its versions in Maven's order with the newest as
// latest and the newest non-snapshot as release, and every file has its .sha1, as Central publishes them.
func TestMavenMetadata(t *testing.T) {
	dir := t.TempDir()
	put := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plugins := "org/apache/maven/plugins/"
	// Debian's relocation poms (older versions, pom only) and its "debian" version beside the real one.
	for _, v := range []string{"2.8", "3.8.1", "3.10.0-SNAPSHOT", "debian"} {
		put(plugins+"maven-dependency-plugin/"+v+"/maven-dependency-plugin-"+v+".pom", []byte("<project/>"))
	}
	put(plugins+"maven-dependency-plugin/3.8.1/maven-dependency-plugin-3.8.1.jar", pluginJar(t, "Apache Maven Dependency Plugin", "dependency"))
	put(plugins+"maven-clean-plugin/3.2.0/maven-clean-plugin-3.2.0.pom", []byte("<project/>"))
	put(plugins+"maven-clean-plugin/3.2.0/maven-clean-plugin-3.2.0.jar", pluginJar(t, "Apache Maven Clean Plugin", "clean"))
	// A jar that is no plugin, and a group path that is also an artifact's (org.apache.maven:plugins).
	put(plugins+"maven-shared-utils/3.4.2/maven-shared-utils-3.4.2.pom", []byte("<project/>"))
	put(plugins+"maven-shared-utils/3.4.2/maven-shared-utils-3.4.2.jar", zipOf(t, map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"}))
	put("org/apache/maven/plugins/43/plugins-43.pom", []byte("<project/>"))
	// Not a version directory: a pom whose name is not <artifactId>-<version>.pom.
	put("com/example/lib/1.0/other-1.0.pom", []byte("<project/>"))
	for _, v := range []string{"3.x", "3.9.9", "3.0-alpha-1", "3.0", "3.10.0", "debian", "3.0-sp1", "3.0-rc1"} {
		put("org/apache/maven/maven-core/"+v+"/maven-core-"+v+".pom", []byte("<project/>"))
	}

	now := time.Date(2026, 12, 7, 4, 5, 6, 0, time.UTC)
	if err := writeMavenMetadata(dir, now); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) mavenMetadata {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, rel, "maven-metadata.xml"))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := os.ReadFile(filepath.Join(dir, rel, "maven-metadata.xml.sha1"))
		if want := sha1.Sum(data); err != nil || string(sum) != hex.EncodeToString(want[:]) {
			t.Errorf("%s/maven-metadata.xml.sha1 = %q, %v; want the file's SHA-1", rel, sum, err)
		}
		if !strings.HasPrefix(string(data), `<?xml version="1.0" encoding="UTF-8"?>`) {
			t.Errorf("%s/maven-metadata.xml has no XML declaration:\n%s", rel, data)
		}
		var m mavenMetadata
		if err := xml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	group := read("org/apache/maven/plugins")
	if group.Plugins == nil || !slices.Equal(group.Plugins.Plugin, []mavenPluginName{
		{Name: "Apache Maven Clean Plugin", Prefix: "clean", ArtifactID: "maven-clean-plugin"},
		{Name: "Apache Maven Dependency Plugin", Prefix: "dependency", ArtifactID: "maven-dependency-plugin"},
	}) {
		t.Errorf("group metadata lists plugins %+v; want clean and dependency with their prefixes", group.Plugins)
	}
	if group.ArtifactID != "plugins" || group.GroupID != "org.apache.maven" || group.Versioning == nil || group.Versioning.Release != "43" {
		t.Errorf("org/apache/maven/plugins is also org.apache.maven:plugins's directory, got %+v", group)
	}

	dep := read(plugins + "maven-dependency-plugin")
	want := mavenVersioning{Latest: "3.10.0-SNAPSHOT", Release: "3.8.1", Versions: []string{"debian", "2.8", "3.8.1", "3.10.0-SNAPSHOT"},
		LastUpdated: "20261207040506"}
	if dep.GroupID != "org.apache.maven.plugins" || dep.ArtifactID != "maven-dependency-plugin" || dep.Versioning == nil ||
		!slices.Equal(dep.Versioning.Versions, want.Versions) || dep.Versioning.Latest != want.Latest ||
		dep.Versioning.Release != want.Release || dep.Versioning.LastUpdated != want.LastUpdated || dep.Plugins != nil {
		t.Errorf("artifact metadata %+v %+v; want %+v", dep, dep.Versioning, want)
	}
	core := read("org/apache/maven/maven-core")
	if v := core.Versioning.Versions; !slices.Equal(v, []string{"debian", "3.0-alpha-1", "3.0-rc1", "3.0", "3.x", "3.0-sp1", "3.9.9", "3.10.0"}) {
		t.Errorf("maven-core's versions in the order %v, not Maven's", v)
	}
	for _, rel := range []string{"com/example/lib", "com/example"} {
		if _, err := os.Stat(filepath.Join(dir, rel, "maven-metadata.xml")); err == nil {
			t.Errorf("%s has metadata, but no <artifactId>-<version>.pom", rel)
		}
	}
}

// TestCompareMavenVersions holds the ordering to Maven's version order specification's examples.
func TestCompareMavenVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1", "1.0.0", 0}, {"1.0.1", "1", 1}, {"1.0", "1-ga", 0}, {"2.0-FINAL", "2", 0}, {"1.1", "1.0.9", 1}, {"1.10", "1.9", 1},
		{"1-alpha-1", "1-beta", -1}, {"1-beta", "1-milestone", -1}, {"1-m1", "1-rc", -1}, {"1-rc", "1-SNAPSHOT", -1},
		{"1-SNAPSHOT", "1", -1}, {"1", "1-sp", -1}, {"1-sp", "1-foo", -1}, {"1-a1", "1-alpha-1", 0},
		{"3.x", "3.9.9", -1}, {"3.x", "3", 1}, {"3.0.1", "3.x", 1}, {"3.0-sp1", "3.x", 1}, {"debian", "0.1", -1}, {"9.4.57.v20241219", "9.4.57", 1},
		{"2.0b4", "2.0", -1}, {"1.0-beta-10", "1.0-beta-9", 1}, {"007", "7", 0},
	} {
		got, back := mavenVersionOrder(tc.a, tc.b), mavenVersionOrder(tc.b, tc.a)
		if min(max(got, -1), 1) != tc.want || min(max(back, -1), 1) != -tc.want {
			t.Errorf("order(%q, %q) = %d and the other way %d, want %d", tc.a, tc.b, got, back, tc.want)
		}
	}
}

// pluginJar is a Maven plugin's jar with the descriptor maven-plugin-tools writes (name and goalPrefix).
func pluginJar(t *testing.T, name, prefix string) []byte {
	return zipOf(t, map[string]string{"META-INF/maven/plugin.xml": `<?xml version="1.0" encoding="UTF-8"?>
<plugin>
  <name>` + name + `</name>
  <description>a plugin</description>
  <goalPrefix>` + prefix + `</goalPrefix>
  <mojos><mojo><goal>go-offline</goal></mojo></mojos>
</plugin>
`})
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b strings.Builder
	z := zip.NewWriter(&b)
	for name, data := range files {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}
