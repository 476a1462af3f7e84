//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	osexec "os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestRunTestExamples: every example carries a test, and it runs and passes (static's prebuilt server is
// compiled into a copy first, as its README says).
func TestRunTestExamples(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	for _, tc := range []struct{ name, path string }{
		{"go", "/healthz"}, {"node", "/healthz"}, {"python", "/healthz"}, {"rust", "/healthz"}, {"java", "/healthz"}, {"go-cgo", "/"}, {"static", "/"},
	} {
		dir := filepath.Join(repoRoot, "examples", tc.name)
		if tc.name == "static" {
			dir = copyExample(t, "static")
			buildStaticServer(t, dir, filepath.Join(dir, "hello-server"))
		}
		log, err := st.Buildx(context.Background(), "build", "--progress", "plain", "-f", filepath.Join(dir, "hardened.yaml"),
			"-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir).CombinedOutput()
		if err != nil {
			t.Errorf("%s: the build failed: %v\n%s", tc.name, err, tail(string(log), 40))
			continue
		}
		want := regexp.MustCompile(`(?m)#\d+ test the image: start .* on a read-only root, GET http://127\.0\.0\.1:8080` + regexp.QuoteMeta(tc.path) + `$`)
		if !want.MatchString(string(log)) {
			t.Errorf("%s: no test step %s in the build output:\n%s", tc.name, want, tail(string(log), 30))
		}
	}
}

// TestRunTestFailsWithoutRuntimeLibs: go-cgo without its runtime.libs builds, but its server cannot start
// (libsqlite3 is not in the image): the build fails at the test's line with the loader's message and the hint.
func TestRunTestFailsWithoutRuntimeLibs(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go-cgo")
	spec := filepath.Join(dir, "hardened.yaml")
	src := string(readHost(t, spec))
	without := regexp.MustCompile(`(?m)^runtime:\n  libs: \[libsqlite3-0\]\n`).ReplaceAllString(src, "")
	if without == src {
		t.Fatalf("the go-cgo example has no runtime.libs to remove:\n%s", src)
	}
	writeFile(t, spec, without)
	log := buildFails(t, st.Buildx(context.Background(), "build", "--progress", "plain", "-f", spec, "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir))
	t.Logf("the build's error:\n%s", tail(log, 12))
	line := strings.Count(without[:strings.Index(without, "\ntest:")+1], "\n") + 2 // test's first field
	for _, want := range []string{
		"hardened.yaml:" + strconv.Itoa(line) + ":3: test: it exited with code 127",
		"libsqlite3.so.0: cannot open shared object file",
		"runtime.libs",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("missing %q in:\n%s", want, tail(log, 40))
		}
	}
}

// TestProbeHealthcheck: the static example's healthcheck.http puts the build's probe in the image (root's, 0555,
// under 2 MB, outside /app) and a HEALTHCHECK running it; run in the started image as the image's user, the
// HEALTHCHECK's own command exits 0 while the server answers and 1 on a port nobody listens on; hardened
// check names the probe and passes HX-MIN-NETWORK-TOOLS.
func TestProbeHealthcheck(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "static")
	buildStaticServer(t, dir, filepath.Join(dir, "hello-server"))
	port := freePort(t) // the container shares the host's network: the probe must find this server alone
	spec := filepath.Join(dir, "hardened.yaml")
	src := string(readHost(t, spec))
	withPort := strings.Replace(src, "healthcheck:\n  http: {port: 8080, path: /}", fmt.Sprintf("healthcheck:\n  http: {port: %d, path: /}", port), 1)
	if withPort == src {
		t.Fatalf("the static example has no healthcheck.http:\n%s", src)
	}
	writeFile(t, spec, withPort)
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", spec, "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	hc := cf.Config.Healthcheck
	want := []string{"CMD", audit.ProbePath, strconv.Itoa(port), "/"}
	if hc == nil || !slices.Equal(hc.Test, want) || hc.Interval != 30*time.Second {
		t.Fatalf("HEALTHCHECK %+v, want %q every 30s", hc, want)
	}
	files := flatFiles(t, img)
	if d := files[path.Dir(audit.ProbePath)]; d == nil || d.Uid != 0 || d.Mode&0o7777 != 0o555 || !d.ModTime.Equal(files["/app"].ModTime) {
		t.Errorf("%s: %+v, want a root-owned 0555 directory at the epoch, as /app", path.Dir(audit.ProbePath), d)
	}
	h := files[audit.ProbePath]
	switch {
	case h == nil:
		t.Fatalf("no %s in the image", audit.ProbePath)
	case h.Uid != 0 || h.Gid != 0 || h.Mode&0o7777 != 0o555 || h.Size > 2_000_000 || h.Size < 100_000:
		t.Errorf("%s: %d:%d mode %o, %d bytes; want root's 0555, under 2 MB", audit.ProbePath, h.Uid, h.Gid, h.Mode, h.Size)
	}
	t.Logf("%s: %d bytes", audit.ProbePath, h.Size)

	r := runImage(t, img, "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := waitHTTP(ctx, r, fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil {
		t.Fatal(err)
	}
	exec := func(args ...string) (string, int) {
		cmd := osexec.Command("runc", append([]string{"exec", "--user", "65532:65532", r.id}, args...)...)
		b, err := cmd.CombinedOutput()
		var ee *osexec.ExitError
		if errors.As(err, &ee) {
			return string(b), ee.ExitCode()
		} else if err != nil {
			t.Fatalf("runc exec: %v\n%s", err, b)
		}
		return string(b), 0
	}
	if msg, code := exec(hc.Test[1:]...); code != 0 || !strings.Contains(msg, "status 200") {
		t.Errorf("the HEALTHCHECK's command exited %d: %s", code, msg)
	}
	if msg, code := exec(audit.ProbePath, strconv.Itoa(freePort(t)), "/"); code != 1 || !strings.Contains(msg, "connection refused") {
		t.Errorf("the probe on a port nobody listens on exited %d: %s", code, msg)
	}
	if msg, code := exec(audit.ProbePath, "example.com:80", "/"); code != 1 {
		t.Errorf("the probe given a host exited %d: %s", code, msg)
	}

	check := osexec.Command("go", "run", "./cmd/hardened", "check", "--checks", "HX-MIN-NETWORK-TOOLS", "--format", "json", out)
	check.Dir = repoRoot
	report, err := check.Output()
	if err != nil || !strings.Contains(string(report), "is the build's health probe") {
		t.Errorf("hardened check: %v\n%s", err, report)
	}
}
