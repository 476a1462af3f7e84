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
