package frontend

import (
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/frontend/tool"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// Each kind of failure names the test's line, says what to change and shows the app's last words, escaped.
func TestRunTestErrors(t *testing.T) {
	s, err := spec.Load("hardened.yaml", []byte("language: go\nartifacts: [./cmd/server]\ntest:\n  http: {port: 8080, path: /healthz}\n"), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		res  tool.TestResult
		want []string
	}{
		{tool.TestResult{Kind: tool.TestExited, Problem: "it exited with code 3 before GET http://127.0.0.1:8080/healthz answered 2xx", Ran: "[\"/app/server\"] as 65532:65532",
			Output: []string{"starting", "open /app/data.db: read-only file system"}},
			[]string{"hardened.yaml:4:3: test: it exited with code 3", "runtime: {writable: [/tmp]}", "last 2 line(s) of output:\n  starting\n  open /app/data.db: read-only file system"}},
		{tool.TestResult{Kind: tool.TestExited, Problem: "it exited with code 127", Output: []string{"/app/server: error while loading shared libraries: libsqlite3.so.0: cannot open shared object file"}},
			[]string{"code 127", "runtime.libs"}},
		{tool.TestResult{Kind: tool.TestTimeout, Problem: "GET http://127.0.0.1:8080/healthz got no answer within 10s"},
			[]string{"no answer within 10s", "listen on port 8080", "the app printed nothing"}},
		{tool.TestResult{Kind: tool.TestStatus, Problem: "GET http://127.0.0.1:8080/healthz answered HTTP 503, not 2xx", Output: []string{"\x1b[31mred"}},
			[]string{"HTTP 503", "answer 2xx", `\x1b[31mred`}},
	} {
		msg := testError(s, tc.res.Problem, testHint(s, &tc.res), tc.res.Output).Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("missing %q in\n%s", w, msg)
			}
		}
		if strings.Contains(msg, "\x1b") {
			t.Errorf("raw escape in %q", msg)
		}
	}
}
