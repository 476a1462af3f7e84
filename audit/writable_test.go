package audit_test

import (
	"archive/tar"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

// TestWritableApplication holds HX-PRIV-APP-WRITABLE and HX-PRIV-WORLD-WRITABLE to what issue 23
// found in /app (a git-archive checkout's modes, a build step's chmod, mknod and mkfifo) and to
// the base's own scratch directories, which are no finding.
func TestWritableApplication(t *testing.T) {
	char := File{Path: "/app/mem", Type: tar.TypeChar, Mode: 0o666}
	fifo := File{Path: "/app/fifo", Type: tar.TypeFifo, Mode: 0o644}
	base := add(Dir("/var/tmp", 0o1777), Dir("/run", 0o755), Dir("/run/lock", 0o1777), Symlink("/var/lock", "/run/lock"),
		Dir("/var/mail", 0o2775).Owned(0, 8), Dir("/var/local", 0o2775).Owned(0, 50))
	for _, tc := range []struct {
		name string
		fx   fixture
		// want is each check's status and severity, and the paths it names, in order.
		app, world result3
	}{
		{name: "clean, with the base's sticky and setgid directories", fx: fixture{base: base},
			app: result3{status: audit.StatusPass}, world: result3{status: audit.StatusPass}},
		{name: "a git archive checkout: 0664 files, 0775 directories", fx: fixture{app: add(Dir("/app", 0o775), Dir("/app/lib", 0o775), Reg("/app/lib/index.js", 0o664, "x"))},
			app:   result3{audit.StatusFail, audit.High, []string{"/app: group-writable", "/app/lib: group-writable", "/app/lib/index.js: group-writable"}},
			world: result3{audit.StatusFail, audit.High, []string{"/app: group-writable in the application", "/app/lib: group-writable", "/app/lib/index.js: group-writable"}}},
		{name: "a build step's chmod, mknod and mkfifo", fx: fixture{app: add(Reg("/app/hello.py", 0o666, "x"), Dir("/app/ww", 0o777), char, fifo)},
			app: result3{audit.StatusFail, audit.High, []string{"/app/fifo: a FIFO among application files", "/app/hello.py: group-writable, world-writable",
				"/app/mem: a character device among application files, group-writable, world-writable", "/app/ww: group-writable, world-writable"}},
			world: result3{audit.StatusFail, audit.High, []string{"/app/fifo: FIFO in the application", "/app/hello.py: world-writable in the application",
				"/app/mem: character device, world-writable in the application", "/app/ww: world-writable in the application"}}},
		{name: "a sticky directory in the application", fx: fixture{app: add(Dir("/app/cache", 0o1777))},
			app:   result3{audit.StatusFail, audit.High, []string{"/app/cache: group-writable, world-writable"}},
			world: result3{audit.StatusFail, audit.High, []string{"/app/cache: world-writable in the application"}}},
		{name: "owned by the runtime user", fx: fixture{app: add(Dir("/app", 0o755).Owned(65532, 65532))},
			app:   result3{audit.StatusFail, audit.High, []string{"/app: owned and writable by the runtime user"}},
			world: result3{status: audit.StatusPass}},
		{name: "the workdir is the application", fx: fixture{
			base: add(Dir("/srv", 0o755), Dir("/srv/site", 0o775), Reg("/srv/site/index.html", 0o664, "x")),
			cfg:  func(c *v1.ConfigFile) { c.Config.WorkingDir = "/srv/site" }},
			app:   result3{audit.StatusFail, audit.High, []string{"/srv/site: group-writable", "/srv/site/index.html: group-writable"}},
			world: result3{audit.StatusFail, audit.High, []string{"/srv/site: group-writable in the application", "/srv/site/index.html: group-writable"}}},
		{name: "a sticky world-writable workdir is scratch (golang's /go)", fx: fixture{
			base: add(Dir("/go", 0o1777), Dir("/go/src", 0o1777)),
			cfg:  func(c *v1.ConfigFile) { c.Config.WorkingDir = "/go" }},
			app: result3{status: audit.StatusPass}, world: result3{status: audit.StatusPass}},
		{name: "a package's entrypoint names no application directory", fx: fixture{
			base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/python3.13", 0o755, "\x7fELF"), Reg("/usr/bin/helper", 0o775, "\x7fELF"),
				Reg("/var/lib/dpkg/status.d/python3.13-minimal", 0o644, "Package: python3.13-minimal\nVersion: 3.13.5-2\nArchitecture: amd64\n"),
				Reg("/var/lib/dpkg/status.d/python3.13-minimal.md5sums", 0o644, "d41d8cd98f00b204e9800998ecf8427e  usr/bin/python3.13\n")),
			cfg: func(c *v1.ConfigFile) { c.Config.Entrypoint = []string{"/usr/bin/python3.13", "/app/main.py"} }},
			app: result3{status: audit.StatusPass}, world: result3{status: audit.StatusPass}},
		{name: "outside the application: a world-writable directory is medium", fx: fixture{base: add(Dir("/var/cache", 0o777))},
			app:   result3{status: audit.StatusPass},
			world: result3{audit.StatusFail, audit.Medium, []string{"/var/cache: world-writable directory without the sticky bit"}}},
		{name: "outside the application: an executable the user owns is low", fx: fixture{base: add(Dir("/usr/local", 0o755), Dir("/usr/local/bin", 0o755),
			Reg("/usr/local/bin/tool", 0o755, "\x7fELF").Owned(65532, 65532))},
			app:   result3{audit.StatusFail, audit.Low, []string{"/usr/local/bin/tool: executable outside the application, writable by uid 65532"}},
			world: result3{status: audit.StatusPass}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.fx.run(t, audit.WithChecks("HX-PRIV-APP-WRITABLE", "HX-PRIV-WORLD-WRITABLE"))
			tc.app.expect(t, result(t, r, "HX-PRIV-APP-WRITABLE"))
			tc.world.expect(t, result(t, r, "HX-PRIV-WORLD-WRITABLE"))
			if high := tc.app.severity == audit.High || tc.world.severity == audit.High; r.Gate.Passed == high {
				t.Errorf("gate passed %v with a high finding %v: %v", r.Gate.Passed, high, r.Gate.Reasons)
			}
		})
	}
}

// result3 is what a test expects of one result: status, severity when failing, and the start of each finding.
type result3 struct {
	status   audit.Status
	severity audit.Severity
	evidence []string
}

func (w result3) expect(t *testing.T, res audit.Result) {
	t.Helper()
	if res.Status != w.status || w.status == audit.StatusFail && res.Severity != w.severity {
		t.Errorf("%s: %s at %s, want %s at %s: %s %v", res.ID, res.Status, res.Severity, w.status, w.severity, res.Message, res.Evidence)
	}
	if len(res.Evidence) != len(w.evidence) {
		t.Fatalf("%s: %d findings, want %d: %v", res.ID, len(res.Evidence), len(w.evidence), res.Evidence)
	}
	for i, ev := range res.Evidence {
		if !strings.HasPrefix(ev.String(), w.evidence[i]) {
			t.Errorf("%s finding %d:\n %s\nwant it to start\n %s", res.ID, i, ev, w.evidence[i])
		}
	}
}
