//go:build integration

package stack_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/integration/stack"
	"github.com/hardenedbuild/hardened/integration/stack/stacktest"
)

// TestMavenMirrorMetadata: the maven stand-in's Maven, outside any project, runs jar:help through the stack's
// mirror, as it would through Central: the goal prefix "jar" is found only in the mirror's group metadata
// (no pom binds or manages maven-jar-plugin there) and the version is the release its artifact metadata
// names. Without either file Maven stops with "No plugin found for prefix 'jar'". dependency:help shows why
// a pom pins maven-dependency-plugin on this mirror.
func TestMavenMirrorMetadata(t *testing.T) {
	s := stacktest.Get(t)
	ctx := context.Background()
	// The password is the running serve's: another test binary may have restarted it.
	cur, err := stack.Load(s.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	var group struct {
		Plugins []struct {
			Prefix     string `xml:"prefix"`
			ArtifactID string `xml:"artifactId"`
		} `xml:"plugins>plugin"`
	}
	getXML(t, cur, "org/apache/maven/plugins/maven-metadata.xml", &group)
	found := false
	for _, p := range group.Plugins {
		found = found || p.Prefix == "jar" && p.ArtifactID == "maven-jar-plugin"
	}
	if !found {
		t.Errorf("the group metadata maps no prefix jar to maven-jar-plugin: %+v", group.Plugins)
	}
	var artifact struct {
		Release string `xml:"versioning>release"`
	}
	getXML(t, cur, "org/apache/maven/plugins/maven-jar-plugin/maven-metadata.xml", &artifact)
	if artifact.Release == "" {
		t.Fatal("maven-jar-plugin's metadata names no release")
	}

	settings := filepath.Join(t.TempDir(), "settings.xml")
	if err := os.WriteFile(settings, []byte(fmt.Sprintf(`<settings><mirrors><mirror><id>company-mirror</id>
<mirrorOf>*</mirrorOf><url>%s</url></mirror></mirrors><servers><server><id>company-mirror</id>
<username>%s</username><password>%s</password></server></servers></settings>`, cur.MavenRepo, stack.MavenUser, cur.MavenPassword)), 0o600); err != nil {
		t.Fatal(err)
	}
	mvn := func(goal string) (string, error) {
		dir := dockerfileDir(t, "FROM docker.io/library/maven:3-eclipse-temurin-21-noble\nWORKDIR /tmp/empty\n"+
			`RUN --mount=type=secret,id=maven-settings,target=/root/.m2/settings.xml ["mvn", "-B", "-ntp", "`+goal+`"]`+"\n")
		out, err := s.Buildctl(ctx, "build", "--frontend", "dockerfile.v0", "--no-cache", "--progress", "plain",
			"--secret", "id=maven-settings,src="+settings, "--local", "context="+dir, "--local", "dockerfile="+dir).CombinedOutput()
		return string(out), err
	}
	if log, err := mvn("jar:help"); err != nil || !strings.Contains(log, "jar:"+artifact.Release+":help (default-cli) @ standalone-pom") {
		t.Errorf("mvn jar:help did not run maven-jar-plugin %s (the metadata's release): %v\n%s", artifact.Release, err, lastLines(log, 30))
	}
	// docs/languages.md and examples/java-maven/pom.xml: a pom must pin maven-dependency-plugin on this mirror,
	// as Maven's super POM manages it at a version Debian does not package.
	if log, err := mvn("dependency:help"); err == nil || !strings.Contains(log, "maven-dependency-plugin:jar:3.7.0") {
		t.Errorf("mvn dependency:help: %v, want it to fail on the super POM's maven-dependency-plugin 3.7.0\n%s", err, lastLines(log, 30))
	}
}

// getXML decodes a file of the stack's Maven repository, fetched as Maven does, with the user and password.
func getXML(t *testing.T, st *stack.Stack, rel string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, st.MavenRepo+rel, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(stack.MavenUser, st.MavenPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v", rel, resp.StatusCode, err)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v\n%s", rel, err, data)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
