package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The check's program, run by a real node when there is one: it names each missing artifact.
func TestBuiltCheckNamesMissing(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", builtCheck, "--", "build", "", "dist", "views")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `artifacts[1]: "views" is neither in the build context nor made by the build script "build"`) ||
		strings.Contains(string(out), "artifacts[0]") {
		t.Errorf("check gave %v: %s", err, out)
	}
	cmd = exec.Command(node, "-e", builtCheck, "--", "build", "", "dist")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("dist exists, check failed: %v %s", err, out)
	}
}
