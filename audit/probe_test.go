package audit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hardenedbuild/hardened/audit"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

var goBinaries = struct {
	sync.Once
	probe, other string
	err          error
}{}

// builtBinaries compiles the real probe, and another small Go program, as the frontend image builds them.
func builtBinaries(t *testing.T) (probe, other string) {
	t.Helper()
	goBinaries.Do(func() {
		dir, err := os.MkdirTemp("", "probe-test")
		if err != nil {
			goBinaries.err = err
			return
		}
		defer os.RemoveAll(dir)
		build := func(pkgDir, out string) ([]byte, error) {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, ".")
			cmd.Dir, cmd.Env = pkgDir, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=mod")
			return cmd.CombinedOutput()
		}
		other := filepath.Join(dir, "other")
		must := func(err error) {
			if err != nil && goBinaries.err == nil {
				goBinaries.err = err
			}
		}
		must(os.MkdirAll(other, 0o755))
		must(os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/curl\n\ngo 1.22\n"), 0o644))
		must(os.WriteFile(filepath.Join(other, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
		for _, b := range []struct{ dir, out string }{{"../cmd/hardened-probe", filepath.Join(dir, "probe.bin")}, {other, filepath.Join(dir, "other.bin")}} {
			if msg, err := build(b.dir, b.out); err != nil {
				must(err)
				must(os.WriteFile(filepath.Join(dir, "log"), msg, 0o644))
			}
		}
		p, err := os.ReadFile(filepath.Join(dir, "probe.bin"))
		must(err)
		o, err := os.ReadFile(filepath.Join(dir, "other.bin"))
		must(err)
		goBinaries.probe, goBinaries.other = string(p), string(o)
	})
	if goBinaries.err != nil {
		t.Fatal(goBinaries.err)
	}
	return goBinaries.probe, goBinaries.other
}

func withProbeFile(f File) func([]File) []File {
	return add(Dir("/hardened", 0o755), f)
}

// The build's probe at its path passes HX-MIN-NETWORK-TOOLS, named; anything else there fails it.
func TestProbeCheck(t *testing.T) {
	probe, other := builtBinaries(t)
	r := fixture{app: withProbeFile(Reg(audit.ProbePath, 0o555, probe))}.run(t)
	if res := result(t, r, "HX-MIN-NETWORK-TOOLS"); res.Status != audit.StatusPass || !strings.Contains(res.Message, "is the build's health probe") {
		t.Errorf("the real probe: %s %s %v", res.Status, res.Message, res.Evidence)
	}
	for _, tc := range []struct {
		name string
		file File
		want string
	}{
		{"another Go binary", Reg(audit.ProbePath, 0o555, other), "the Go binary of example.com/curl"},
		{"a script", Reg(audit.ProbePath, 0o755, "#!/bin/sh\nexec curl \"$@\"\n"), "not a Go binary"},
		{"writable", Reg(audit.ProbePath, 0o777, probe), "writable by others"},
		{"setuid", Reg(audit.ProbePath, 0o4555, probe), "setuid"},
		{"not root's", Reg(audit.ProbePath, 0o555, probe).Owned(65532, 65532), "owned by 65532:65532"},
		{"too large", Reg(audit.ProbePath, 0o555, probe+strings.Repeat("\x00", audit.ProbeMaxSize)), "over the probe's"},
		{"a symlink", Symlink(audit.ProbePath, "/usr/bin/curl"), "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := result(t, fixture{app: withProbeFile(tc.file)}.run(t), "HX-MIN-NETWORK-TOOLS")
			if res.Status != audit.StatusFail || len(res.Evidence) != 1 || !strings.Contains(res.Evidence[0].Detail, tc.want) ||
				res.Evidence[0].Path != audit.ProbePath {
				t.Errorf("got %s %q %+v, want a failure at %s saying %q", res.Status, res.Message, res.Evidence, audit.ProbePath, tc.want)
			}
		})
	}
}

// The same probe binary under another name is no exception: the rule is its path and its build info.
func TestProbeElsewhereIsNotNamed(t *testing.T) {
	probe, _ := builtBinaries(t)
	r := fixture{base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/curl", 0o755, probe))}.run(t)
	if res := result(t, r, "HX-MIN-NETWORK-TOOLS"); res.Status != audit.StatusFail || strings.Contains(res.Message, "health probe") {
		t.Errorf("curl: %s %s", res.Status, res.Message)
	}
}
