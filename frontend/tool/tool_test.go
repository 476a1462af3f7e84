package tool

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// tree writes a small image root: an executable /app/server, a setuid /usr/bin/su and a setgid /var/mail.
func tree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"app", "usr/bin", "var/mail"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"app/server", "usr/bin/su"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("#!"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "usr/bin/su"), 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "var/mail"), 0o775|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	return root
}

func runToolFor(t *testing.T, args ...string) Result {
	t.Helper()
	out := filepath.Join(t.TempDir(), "result.json")
	if err := Run(append(args, out)); err != nil {
		t.Fatal(err)
	}
	dt, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(dt, &res); err != nil {
		t.Fatalf("%s: %v", dt, err)
	}
	return res
}

// verify --strip clears the bits in the tree itself, lists what it changed, and checks what is left on disk:
// the setuid file and the setgid directory keep every other mode bit, and no setuid violation remains.
func TestToolVerifyStripsFirst(t *testing.T) {
	root := tree(t)
	if err := os.Chmod(filepath.Join(root, "app"), 0o755|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	var img dockerspec.DockerOCIImage
	img.OS, img.Architecture = "linux", "amd64"
	img.Config.User = "65532:65532"
	img.Config.Entrypoint = []string{"/app/server"}
	res := runToolFor(t, "verify", "--strip", "--config", writeConfig(t, img), root)
	if res.Error != "" || len(res.Violations) > 0 {
		t.Fatalf("verify --strip: error %q, violations %+v", res.Error, res.Violations)
	}
	if want := []string{"/usr/bin/su", "/var/mail"}; !slices.Equal(res.Stripped, want) {
		t.Errorf("stripped %q, want %q", res.Stripped, want)
	}
	for p, want := range map[string]os.FileMode{"usr/bin/su": 0o755, "var/mail": 0o775 | os.ModeDir, "app": 0o755 | os.ModeDir | os.ModeSticky} {
		fi, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	// A second run finds nothing to clear.
	if res := runToolFor(t, "verify", "--strip", "--config", writeConfig(t, img), root); len(res.Stripped) > 0 {
		t.Errorf("second run stripped %q", res.Stripped)
	}
}

func writeConfig(t *testing.T, img dockerspec.DockerOCIImage) string {
	t.Helper()
	dt, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, dt, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestToolVerifyReportsViolations(t *testing.T) {
	root := tree(t)
	var img dockerspec.DockerOCIImage
	img.OS, img.Architecture = "linux", "amd64"
	img.Config.Entrypoint = []string{"/app/missing"}
	res := runToolFor(t, "verify", "--config", writeConfig(t, img), root)
	var checks []string
	for _, v := range res.Violations {
		checks = append(checks, v.Check)
	}
	// The tree still has its setuid file, the config no user, the entrypoint is not there.
	slices.Sort(checks)
	if want := []string{"HX-CONFIG-ENTRYPOINT", "HX-PRIV-SETUID", "HX-USER-ROOT"}; !slices.Equal(checks, want) {
		t.Errorf("violations %q, want %q", checks, want)
	}
	if res.Report != nil {
		t.Errorf("a report was written without --report-epoch")
	}
	// The frontend turns them back into the error a build fails with.
	msg := (&audit.VerifyError{Violations: res.Violations}).Error()
	if !strings.Contains(msg, "/app/missing") || !strings.Contains(msg, "/usr/bin/su") {
		t.Errorf("message %q does not name the entrypoint and the setuid file", msg)
	}
}

func TestToolVerifyPassesAndReports(t *testing.T) {
	root := tree(t)
	for _, p := range []string{"usr/bin/su", "var/mail"} {
		if err := os.Chmod(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var img dockerspec.DockerOCIImage
	img.OS, img.Architecture = "linux", "amd64"
	img.Config.User = "65532:65532"
	img.Config.Entrypoint = []string{"/app/server"}
	epoch := time.Unix(1700000000, 0).UTC()
	res := runToolFor(t, "verify", "--config", writeConfig(t, img), "--report-epoch", epoch.Format(time.RFC3339Nano), root)
	if res.Error != "" || len(res.Violations) > 0 {
		t.Fatalf("verify: error %q, violations %+v", res.Error, res.Violations)
	}
	if !strings.Contains(string(res.Report), epoch.Format(time.RFC3339)) {
		t.Errorf("the report is not stamped with the epoch: %.300s", res.Report)
	}
}

func TestToolFailureIsWrittenNotThrown(t *testing.T) {
	res := runToolFor(t, "verify", "--config", filepath.Join(t.TempDir(), "none.json"), tree(t))
	if !strings.Contains(res.Error, "none.json") {
		t.Errorf("error %q, want the missing config named", res.Error)
	}
	if err := Run([]string{"nope", "a", "b"}); err == nil || !strings.Contains(err.Error(), "(verify, special, app)") {
		t.Errorf("unknown tool: %v", err)
	}
}

// The step runs the frontend's own binary with no network and a read-only root, the config read-only and the
// tree writable (it clears bits in it), so its cache key is the frontend image, the tree and the config, and
// nothing else; the tree it leaves is the step's output.
func TestToolStepsAreSealed(t *testing.T) {
	self := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@" + digest.FromString("frontend").String())
	final := bkllb.Image("gcr.io/distroless/static-debian13:nonroot@" + digest.FromString("base").String())
	var img dockerspec.DockerOCIImage
	img.Config.User = "65532:65532"
	epoch := time.Unix(0, 0)
	st, stripped, err := VerifyStep(self, final, &img, &epoch)
	if err != nil {
		t.Fatal(err)
	}
	if stripped.Output() == nil || stripped.Output() == final.Output() {
		t.Errorf("the stripped tree is not the step's own output")
	}
	exec := stepExec(t, st)
	args := exec.GetMeta().GetArgs()
	if want := []string{Binary, Command, "verify", "--strip", "--config", "/in/config.json", "--report-epoch", "1970-01-01T00:00:00Z", "/tree", "/out/result.json"}; !slices.Equal(args, want) {
		t.Errorf("args %q, want %q", args, want)
	}
	if exec.Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", exec.Network)
	}
	mounts := map[string]*pb.Mount{}
	for _, m := range exec.Mounts {
		mounts[m.Dest] = m
	}
	for dest, readonly := range map[string]bool{"/": true, "/tree": false, "/in": true, "/out": false} {
		m := mounts[dest]
		if m == nil {
			t.Errorf("no mount at %s", dest)
			continue
		}
		if m.Readonly != readonly {
			t.Errorf("mount %s readonly = %v, want %v", dest, m.Readonly, readonly)
		}
		if (dest == "/tree" || dest == "/in") && m.ContentCache != pb.MountContentCache_OFF {
			t.Errorf("mount %s content cache = %v, want off: hashing a whole image costs more than checking it", dest, m.ContentCache)
		}
	}
}

// The special tool lists the tree's setuid/setgid paths, directories marked, and changes nothing.
func TestToolSpecialListsAndLeavesTheTree(t *testing.T) {
	root := tree(t)
	res := runToolFor(t, "special", root)
	want := []hllb.SpecialFile{{Path: "/usr/bin/su"}, {Path: "/var/mail", Dir: true}}
	if !slices.Equal(res.Special, want) || res.Error != "" {
		t.Errorf("special = %+v (error %q), want %+v", res.Special, res.Error, want)
	}
	if fi, err := os.Stat(filepath.Join(root, "usr/bin/su")); err != nil || fi.Mode()&os.ModeSetuid == 0 {
		t.Errorf("the tool changed su: %v %v", fi.Mode(), err)
	}
}

// The base's step has the base read-only, no network and a read-only root: its cache key is the two images.
func TestSpecialStepIsSealed(t *testing.T) {
	self := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@" + digest.FromString("frontend").String())
	base := bkllb.Image("gcr.io/distroless/static-debian13:nonroot@" + digest.FromString("base").String())
	exec := stepExec(t, SpecialStep(self, base))
	if want := []string{Binary, Command, "special", "/tree", "/out/result.json"}; !slices.Equal(exec.GetMeta().GetArgs(), want) {
		t.Errorf("args %q, want %q", exec.GetMeta().GetArgs(), want)
	}
	if exec.Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", exec.Network)
	}
	for _, m := range exec.Mounts {
		if want := m.Dest != "/out"; m.Readonly != want {
			t.Errorf("mount %s readonly = %v, want %v", m.Dest, m.Readonly, want)
		}
	}
	if len(exec.Mounts) != 3 {
		t.Errorf("%d mounts, want the root, /tree and /out", len(exec.Mounts))
	}
}

// stepExec is the exec op of a tool step's state (its one command).
func stepExec(t *testing.T, st bkllb.State) *pb.ExecOp {
	t.Helper()
	def, err := st.Marshal(t.Context(), bkllb.Platform(ocispecs.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		t.Fatal(err)
	}
	var exec *pb.ExecOp
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if e := op.GetExec(); e != nil {
			exec = e
		}
	}
	if exec == nil {
		t.Fatal("no exec op")
	}
	return exec
}

// The tool steps run the binary from the path the frontend runs from, so an image built by the root
// hardened.yaml (/app/hardened-frontend) checks its builds as frontend.Dockerfile's does.
func TestUseRunningBinary(t *testing.T) {
	defer func(b string) { Binary = b }(Binary)
	UseRunningBinary(func() (string, error) { return "/app/hardened-frontend", nil })
	if Binary != "/app/hardened-frontend" {
		t.Errorf("Binary = %q, want the running binary's path", Binary)
	}
	UseRunningBinary(func() (string, error) { return "", os.ErrNotExist })
	UseRunningBinary(func() (string, error) { return "relative/bin", nil })
	if Binary != "/app/hardened-frontend" {
		t.Errorf("Binary = %q after a failed or relative lookup, want it unchanged", Binary)
	}
}
