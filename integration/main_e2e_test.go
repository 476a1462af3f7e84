//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hardenedbuild/hardened/integration/stack"
)

// st is the running stack every test builds on; TestMain brings it up (or attaches
// to the one `make demo` left running) and fails the whole run if it cannot.
var st *stack.Stack

// repoRoot is the repository, two levels up from this package.
var repoRoot, _ = filepath.Abs("..")

// TestMain brings the stack up and builds the frontend image, then runs the tests: first, one at
// a time, those that change what the others share or measure it (TestCacheFromOnAFreshBuilder
// prunes the cache, TestFaults kills buildkitd and stops the registry, TestConcurrentBuilds runs
// its own eight at once, TestMakeDemo brings the stack up again, TestReproducibleByDefault and
// the java pair compare builds with each other); then the rest, each of which works on its own copy of an
// example and its own outputs, -parallel at a time (t.Parallel): a cold run on two CPUs is
// otherwise mostly one build waiting on another's idle core.
func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	var err error
	st, err = stack.Up(ctx, stack.Options{RepoRoot: repoRoot, StateDir: os.Getenv("HARDENED_STACK_DIR")})
	if err == nil {
		var dgst string
		dgst, err = st.BuildFrontend(ctx, repoRoot)
		if err == nil {
			fmt.Fprintf(os.Stderr, "frontend image ghcr.io/hardenedbuild/hardened:1 = %s (via %s)\n", dgst, st.Registry)
		}
	}
	cancel()
	if err != nil {
		// Never skip: a stack that cannot start is a failed run, with the reason.
		fmt.Fprintf(os.Stderr, "FAIL: the integration stack could not start: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// build runs a command of the stack and returns its combined output, failing the test
// with the output when the command fails.
func build(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, tail(string(out), 60))
	}
	return string(out)
}

// buildFails runs a command that must fail and returns its output.
func buildFails(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("%s succeeded, want a failure:\n%s", strings.Join(cmd.Args, " "), tail(string(out), 40))
	}
	return string(out)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// copyExample copies examples/NAME to a temp dir so a test may change it.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("cp", "-a", filepath.Join(repoRoot, "examples", name), dst).CombinedOutput(); err != nil {
		t.Fatalf("copy example: %v %s", err, out)
	}
	return dst
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return body, err
}

func readHost(t *testing.T, path string) []byte {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// hostGoVersion is the Go the golang stand-in carries, e.g. 1.26.8.
func hostGoVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
}
