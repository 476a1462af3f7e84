//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
)

// withoutTest is an example's spec without its own test: block (the examples carry one), so a test can
// write its own at the end.
func withoutTest(spec string) string {
	return regexp.MustCompile(`(?m)^(# The build starts the image[^\n]*\n)?test:\n(  [^\n]*\n)*`).ReplaceAllString(spec, "")
}

const goTest = "test:\n  http: {port: 8080, path: /healthz}\n  env: {APP_MODE: test}\n  timeout: 20s\nruntime:\n  writable: [/tmp]\n"

// TestRunTestPasses: the go example's test starts the image (read-only root, its user, loopback only),
// GET /healthz answers, the build succeeds and the attached check report records HX-RUN-TEST as passed;
// test.env is in no part of the image config.
func TestRunTestPasses(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, withoutTest(string(readHost(t, spec)))+goTest)
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "--progress", "plain", "--provenance=mode=min", "-f", spec, "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, `test the image: start "/app/server" as 65532:65532 on a read-only root, GET http://127.0.0.1:8080/healthz`) {
		t.Errorf("the build output does not show the test step:\n%s", tail(log, 40))
	}
	var report audit.Report
	if err := json.Unmarshal(attestation(t, out, audit.PredicateType), &report); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range report.Results {
		if r.ID == audit.RunTestID {
			found = true
			if r.Status != audit.StatusPass || !strings.Contains(r.Message, "GET http://127.0.0.1:8080/healthz") {
				t.Errorf("HX-RUN-TEST: %s %q", r.Status, r.Message)
			}
		}
	}
	if !found {
		t.Error("no HX-RUN-TEST in the attached report")
	}
	cf, _ := only(t, ociImages(t, out)).ConfigFile()
	cfg, _ := json.Marshal(cf)
	if strings.Contains(string(cfg), "APP_MODE") {
		t.Errorf("test.env reached the image config: %s", cfg)
	}
	// A rebuild that changes nothing takes the test from the cache.
	again := build(t, st.Buildx(context.Background(), "build", "--progress", "plain", "--provenance=mode=min", "-f", spec, "-o", "type=oci,dest="+out, dir))
	if m := regexp.MustCompile(`#\d+ test the image: start[^\n]*\n#\d+ CACHED`).FindString(again); m == "" {
		t.Errorf("the rebuild ran the test again:\n%s", tail(again, 60))
	}
}

// TestRunTestFailsOnEarlyExit: an app that exits at once fails the build at the test's line, with its exit
// code and its last output.
func TestRunTestFailsOnEarlyExit(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	main := filepath.Join(dir, "cmd", "server", "main.go")
	src := strings.Replace(string(readHost(t, main)), "func main() {", "func main() {\n\tfmt.Fprintln(os.Stderr, \"config: no database configured\")\n\tos.Exit(3)\n", 1)
	writeFile(t, main, src)
	spec := filepath.Join(dir, "hardened.yaml")
	base := withoutTest(string(readHost(t, spec)))
	writeFile(t, spec, base+goTest)
	log := buildFails(t, st.Buildx(context.Background(), "build", "--progress", "plain", "-f", spec, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir))
	line := strings.Count(base, "\n") + 2
	t.Logf("the build's error:\n%s", tail(log, 12))
	for _, want := range []string{
		"hardened.yaml:" + strconv.Itoa(line) + ":3: test: it exited with code 3 before GET http://127.0.0.1:8080/healthz answered 2xx",
		"config: no database configured",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("missing %q in:\n%s", want, tail(log, 40))
		}
	}
}

// TestRunTestFailsOnReadOnlyRoot: a Node.js app that writes under /app at start fails with the runtime's
// EROFS and the hint to list the directory in runtime.writable.
func TestRunTestFailsOnReadOnlyRoot(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	server := filepath.Join(dir, "server.js")
	writeFile(t, server, "require('fs').writeFileSync('/app/started', 'yes');\n"+string(readHost(t, server)))
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, withoutTest(string(readHost(t, spec)))+"test:\n  http: {port: 8080, path: /healthz}\n  timeout: 20s\n")
	log := buildFails(t, st.Buildx(context.Background(), "build", "--progress", "plain", "-f", spec, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir))
	t.Logf("the build's error:\n%s", tail(log, 12))
	for _, want := range []string{"test: it exited with code 1 before GET", "EROFS: read-only file system, open '/app/started'", "list the directory the app writes in runtime.writable"} {
		if !strings.Contains(log, want) {
			t.Errorf("missing %q in:\n%s", want, tail(log, 40))
		}
	}
}

// TestRunTestExamples: the go, node and python examples carry a test, and it runs and passes.
func TestRunTestExamples(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	for _, name := range []string{"go", "node", "python"} {
		dir := filepath.Join(repoRoot, "examples", name)
		log := build(t, st.Buildx(context.Background(), "build", "--progress", "plain", "-f", filepath.Join(dir, "hardened.yaml"),
			"-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir))
		if !strings.Contains(log, "on a read-only root, GET http://127.0.0.1:8080/healthz") {
			t.Errorf("%s: no test step in the build output:\n%s", name, tail(log, 30))
		}
	}
}
