//go:build integration

package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMakeDemo runs what `make demo` runs, the README's first command, against the test stack and
// checks its summary of what was hardened.
func TestMakeDemo(t *testing.T) {
	cmd := exec.Command("go", "run", "./integration/cmd/demo")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "HARDENED_STACK_DIR="+st.StateDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, tail(string(out), 30))
	}
	for _, want := range []string{"user           65532:65532", "setuid/setgid  0 files", "shell          none", "base           gcr.io/distroless/static-debian13:nonroot@sha256:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo's summary lacks %q:\n%s", want, tail(string(out), 15))
		}
	}
}
