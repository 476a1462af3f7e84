package tool

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for an app: HARDENED_TEST_APP=serve:STATUS answers every GET
// with STATUS on HARDENED_TEST_PORT.
func TestMain(m *testing.M) {
	if app, ok := os.LookupEnv("HARDENED_TEST_APP"); ok {
		status := 200
		fmt.Sscanf(strings.TrimPrefix(app, "serve:"), "%d", &status)
		fmt.Println("listening")
		_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("HARDENED_TEST_PORT"), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
		}))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	return 20000 + int(time.Now().UnixNano()%20000)
}

func TestRunTestOutcomes(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	for _, tc := range []struct {
		name     string
		cfg      testConfig
		env      string
		passed   bool
		kind     string
		problem  string
		lastLine string
	}{
		{"run exits 0", testConfig{argv: []string{"sh", "-c", "echo ok"}}, "", true, "", "", "ok"},
		{"run exits 3", testConfig{argv: []string{"sh", "-c", "echo 'cannot open shared object file' >&2; exit 3"}}, "", false, TestExited, "it exited with code 3", "cannot open shared object file"},
		{"run never exits", testConfig{argv: []string{"sleep", "30"}, timeout: 300 * time.Millisecond}, "", false, TestTimeout, "did not exit within 300ms", ""},
		{"no such entrypoint", testConfig{argv: []string{"/nonexistent/app"}}, "", false, TestStart, "could not start /nonexistent/app: no such file or directory", ""},
		{"http 200", testConfig{argv: []string{self}, port: port, path: "/healthz"}, "serve:200", true, "", "", "listening"},
		{"http 503", testConfig{argv: []string{self}, port: port + 1, path: "/", timeout: time.Second}, "serve:503", false, TestStatus, "answered HTTP 503, not 2xx", "listening"},
		{"http app exits", testConfig{argv: []string{"sh", "-c", "echo 'EROFS: read-only file system, open /app/x'; exit 1"}, port: port + 2, path: "/"}, "", false, TestExited, "it exited with code 1 before GET http://127.0.0.1:", "read-only file system"},
		{"http never answers", testConfig{argv: []string{"sleep", "30"}, port: port + 3, path: "/", timeout: 500 * time.Millisecond}, "", false, TestTimeout, "got no answer within 500ms", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.uid, cfg.gid = os.Getuid(), os.Getgid()
			if cfg.timeout == 0 {
				cfg.timeout = 10 * time.Second
			}
			if tc.env != "" {
				t.Setenv("HARDENED_TEST_APP", tc.env)
				t.Setenv("HARDENED_TEST_PORT", fmt.Sprint(cfg.port))
			}
			start := time.Now()
			res := runTest(t.Context(), cfg)
			if res.Passed != tc.passed || res.Kind != tc.kind || !strings.Contains(res.Problem, tc.problem) {
				t.Errorf("got %+v, want passed %v kind %q problem %q", res, tc.passed, tc.kind, tc.problem)
			}
			if tc.lastLine != "" && (len(res.Output) == 0 || !strings.Contains(res.Output[len(res.Output)-1], tc.lastLine)) {
				t.Errorf("output %q, want it to end with %q", res.Output, tc.lastLine)
			}
			if time.Since(start) > 6*time.Second {
				t.Errorf("took %v: the app was not stopped", time.Since(start))
			}
		})
	}
}

// The result keeps the last 20 lines and at most 4 KB of whatever the app prints.
func TestRunTestOutputIsBounded(t *testing.T) {
	res := runTest(t.Context(), testConfig{uid: os.Getuid(), gid: os.Getgid(), timeout: 10 * time.Second,
		argv: []string{"sh", "-c", `i=0; while [ $i -lt 3000 ]; do echo "line $i $(printf '%0100d' 0)"; i=$((i+1)); done; exit 2`}})
	if res.Passed || len(res.Output) > tailLines || len(strings.Join(res.Output, "\n")) > tailBytes {
		t.Fatalf("%d lines, %d bytes", len(res.Output), len(strings.Join(res.Output, "\n")))
	}
	if last := res.Output[len(res.Output)-1]; !strings.HasPrefix(last, "line 2999 ") {
		t.Errorf("last line %q", last)
	}
}

// The command line refuses a root or non-numeric user before anything runs.
func TestRunTestRefusesRoot(t *testing.T) {
	if err := runTestCmd([]string{"--user", "1:1", "out", "--"}); err == nil || !strings.Contains(err.Error(), "the command after --") {
		t.Errorf("no command: %v", err)
	}
	cfg, out, err := parseTestArgs([]string{"--user", "65532:65532", "--port", "8080", "--path", "/healthz", "/r/result.json", "--", "/app/server", "--", "-v"})
	if err != nil || out != "/r/result.json" || strings.Join(cfg.argv, " ") != "/app/server -- -v" || cfg.port != 8080 || cfg.uid != 65532 {
		t.Errorf("parsed %+v %q %v", cfg, out, err)
	}
	for _, u := range []string{"0:0", "root", "65532"} {
		if err := runTestCmd([]string{"--user", u, "out", "--", "true"}); err == nil {
			t.Errorf("--user %s accepted", u)
		}
	}
}
