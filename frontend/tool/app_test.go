package tool

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/hardenedbuild/hardened/spec"
)

// The app tool refuses a FIFO, a socket and (as root) a device in /app, and files the copies would
// have normalised (group/other write, sticky), naming each path; a clean /app passes.
func TestToolAppRefusesSpecialFilesAndModes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the tree's files must be root's, as in an image")
	}
	root := tree(t)
	if res := runToolFor(t, "app", root); len(res.Violations) != 0 || res.Error != "" {
		t.Fatalf("a clean /app: %+v", res)
	}
	app := filepath.Join(root, "app")
	if err := syscall.Mkfifo(filepath.Join(app, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(app, "mem"), syscall.S_IFCHR|0o666, 1<<8|1); err != nil {
		t.Fatal(err)
	}
	want := []string{"/app/fifo (FIFO)", "/app/mem (character device)"}
	if err := os.WriteFile(filepath.Join(app, "ww"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(app, "ww"), 0o666); err != nil {
		t.Fatal(err)
	}
	res := runToolFor(t, "app", root)
	if len(res.Violations) != 2 || res.Error != "" {
		t.Fatalf("violations %+v (error %q), want the special files and the mode", res.Violations, res.Error)
	}
	if got := res.Violations[0].Evidence; !slices.Equal(got, want) || !strings.Contains(res.Violations[0].Message, "FIFO") {
		t.Errorf("special files %q (%s), want %q", got, res.Violations[0].Message, want)
	}
	if got := res.Violations[1].Evidence; len(got) != 1 || !strings.HasPrefix(got[0], "/app/ww ") {
		t.Errorf("modes %q, want /app/ww", got)
	}
}

// A build secret's value in any file of the image fails the step, which names the secret's id and
// the paths and never the value; a secret found nowhere, or too short to search, passes.
func TestToolAppFindsSecretValues(t *testing.T) {
	root := tree(t)
	const token = "ghp_notARealTokenButLongEnough0123456789"
	secret := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(secret, []byte("machine example.com login ci password "+token+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOKEN_VAR", token)
	t.Setenv("SHORT_VAR", "abc")
	args := []string{"app", "--secret", "netrc=" + secret, "--secret", "absent=" + filepath.Join(t.TempDir(), "none"),
		"--secret-env", "token=TOKEN_VAR", "--secret-env", "short=SHORT_VAR", root}
	if res := runToolFor(t, args...); len(res.Violations) != 0 || res.Error != "" {
		t.Fatalf("no secret in the tree: %+v", res)
	}
	// Straddling the tool's read size, deep in a large file.
	big := append(make([]byte, 256<<10-10), []byte(token)...)
	if err := os.WriteFile(filepath.Join(root, "usr/bin/big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "app/leak"), []byte("machine example.com login ci password "+token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runToolFor(t, args...)
	if res.Error != "" || len(res.Violations) != 2 {
		t.Fatalf("violations %+v (error %q), want netrc and token", res.Violations, res.Error)
	}
	if v := res.Violations[0]; !strings.Contains(v.Message, `"netrc"`) || !slices.Equal(v.Evidence, []string{"/app/leak"}) {
		t.Errorf("netrc: %+v", v)
	}
	if v := res.Violations[1]; !strings.Contains(v.Message, `"token"`) || !slices.Equal(v.Evidence, []string{"/app/leak", "/usr/bin/big"}) {
		t.Errorf("token: %+v", v)
	}
	dt, _ := os.ReadFile(filepath.Join(root, "none")) // the result never holds a value
	for _, v := range res.Violations {
		if strings.Contains(v.Message+strings.Join(v.Evidence, " ")+string(dt), token) {
			t.Errorf("the result prints the secret: %+v", v)
		}
	}
}

// The app step mounts the image read-only with no network and the build's secrets as the builder's steps
// have them, under names of its own, and passes only ids and paths on its command line.
func TestAppStepIsSealed(t *testing.T) {
	self := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@" + digest.FromString("frontend").String())
	final := bkllb.Image("gcr.io/distroless/static-debian13:nonroot@" + digest.FromString("base").String())
	s := &spec.Spec{Build: spec.Build{Secrets: []spec.Secret{{ID: "netrc", Target: "/root/.netrc"}, {ID: "npm", Env: "NPM_TOKEN", Optional: true}}}}
	exec := stepExec(t, AppStep(self, final, s))
	want := []string{Binary, Command, "app", "--secret", "netrc=/run/hardened-secrets/0", "--secret-env", "npm=HARDENED_SECRET_1", "/tree", "/out/result.json"}
	if args := exec.GetMeta().GetArgs(); !slices.Equal(args, want) {
		t.Errorf("args %q, want %q", args, want)
	}
	if exec.Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", exec.Network)
	}
	var secrets []string
	for _, m := range exec.Mounts {
		if want := m.Dest != "/out" && m.MountType != pb.MountType_SECRET; m.Readonly != want {
			t.Errorf("mount %s readonly = %v, want %v", m.Dest, m.Readonly, want)
		}
		if m.MountType == pb.MountType_SECRET {
			secrets = append(secrets, m.SecretOpt.ID+"@"+m.Dest)
		}
	}
	for _, se := range exec.Secretenv {
		secrets = append(secrets, se.ID+"@$"+se.Name)
		if !se.Optional {
			t.Errorf("secret %s: optional in the spec, required in the step", se.ID)
		}
	}
	if want := []string{"netrc@/run/hardened-secrets/0", "npm@$HARDENED_SECRET_1"}; !slices.Equal(secrets, want) {
		t.Errorf("secrets %q, want %q", secrets, want)
	}
}
