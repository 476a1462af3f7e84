package tool

import (
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"

	"github.com/hardenedbuild/hardened/spec"
)

// The test step runs the image itself as a read-only root, with only runtime.writable as tmpfs and the
// result mount writable, the supervisor read-only from the frontend image, no network and the sandbox; the
// app's command is the entrypoint with test.run, and test.env reaches the step, never the image config.
func TestRunTestStepIsSealed(t *testing.T) {
	self := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@" + digest.FromString("frontend").String())
	final := bkllb.Image("gcr.io/distroless/static-debian13:nonroot@" + digest.FromString("base").String())
	var img dockerspec.DockerOCIImage
	img.Config.User = "65532:65532"
	img.Config.Entrypoint = []string{"/app/server"}
	img.Config.Cmd = []string{"--addr", ":8080"}
	img.Config.WorkingDir = "/app"
	img.Config.Env = []string{"PATH=/usr/bin", "MODE=prod"}
	s := &spec.Spec{Runtime: spec.Runtime{Writable: []string{"/tmp", "/var/cache/app"}},
		Test: &spec.Test{Run: []string{"--version"}, Env: map[string]string{"MODE": "test", "DB": "sqlite:///tmp/x.db"}, Timeout: "5s"}}
	st, err := RunTestStep(self, final, &img, s)
	if err != nil {
		t.Fatal(err)
	}
	exec := stepExec(t, st)
	want := []string{TestToolDir + Binary, Command, RunTestCommand, "--user", "65532:65532", "--timeout", "5s",
		TestResultDir + "/" + ResultFile, "--", "/app/server", "--version"}
	if args := exec.GetMeta().GetArgs(); !slices.Equal(args, want) {
		t.Errorf("args %q, want %q", args, want)
	}
	if env := exec.GetMeta().GetEnv(); !slices.Equal(env, []string{"PATH=/usr/bin", "DB=sqlite:///tmp/x.db", "MODE=test"}) {
		t.Errorf("env %q", env)
	}
	if m := exec.GetMeta(); m.GetCwd() != "/app" || m.GetUser() != "0:0" {
		t.Errorf("cwd %q user %q", m.GetCwd(), m.GetUser())
	}
	if exec.Network != pb.NetMode_NONE || exec.Security != pb.SecurityMode_SANDBOX {
		t.Errorf("network %v security %v", exec.Network, exec.Security)
	}
	got := map[string]string{}
	for _, m := range exec.Mounts {
		kind := "rw"
		switch {
		case m.MountType == pb.MountType_TMPFS:
			kind = "tmpfs"
		case m.Readonly:
			kind = "ro"
		}
		got[m.Dest] = kind
	}
	wantMounts := map[string]string{"/": "ro", TestToolDir: "ro", "/tmp": "tmpfs", "/var/cache/app": "tmpfs", TestResultDir: "rw"}
	if len(got) != len(wantMounts) {
		t.Errorf("mounts %v, want %v", got, wantMounts)
	}
	for dest, kind := range wantMounts {
		if got[dest] != kind {
			t.Errorf("mount %s is %q, want %q", dest, got[dest], kind)
		}
	}
	for _, kv := range img.Config.Env {
		if strings.HasPrefix(kv, "DB=") || kv == "MODE=test" {
			t.Errorf("test.env reached the image config: %s", kv)
		}
	}
}

// An http test keeps the image's cmd and passes the port and path.
func TestRunTestStepHTTP(t *testing.T) {
	var img dockerspec.DockerOCIImage
	img.Config.User = "1000:1000"
	img.Config.Entrypoint = []string{"/nodejs/bin/node"}
	img.Config.Cmd = []string{"server.js"}
	s := &spec.Spec{Test: &spec.Test{HTTP: &spec.HTTPTest{Port: 8080}}}
	st, err := RunTestStep(bkllb.Scratch(), bkllb.Scratch(), &img, s)
	if err != nil {
		t.Fatal(err)
	}
	args := stepExec(t, st).GetMeta().GetArgs()
	if got := strings.Join(args[3:], " "); got != "--user 1000:1000 --timeout 10s --port 8080 --path / "+TestResultDir+"/result.json -- /nodejs/bin/node server.js" {
		t.Errorf("args %q", got)
	}
	img.Config.User = "0"
	if _, err := RunTestStep(bkllb.Scratch(), bkllb.Scratch(), &img, s); err == nil {
		t.Error("a root user was accepted")
	}
}
