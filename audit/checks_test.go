package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

// fixture is an image built in the test: the clean image's config and steps, changed.
type fixture struct {
	cfg   func(*v1.ConfigFile)
	base  func([]File) []File // the base layer's files
	app   func([]File) []File // the application layer's files
	extra []Step              // layers on top
	// history replaces the created_by of the base and app steps.
	history []string
	opts    []audit.Option
}

func (fx fixture) target(t *testing.T) *audit.Target {
	t.Helper()
	cfg := CleanConfig()
	if fx.cfg != nil {
		fx.cfg(&cfg)
	}
	steps := CleanSteps()
	if fx.base != nil {
		steps[0].Files = fx.base(steps[0].Files)
	}
	if fx.app != nil {
		steps[1].Files = fx.app(steps[1].Files)
	}
	for i, h := range fx.history {
		steps[i].CreatedBy = h
	}
	steps = append(steps, fx.extra...)
	tg, err := image.FromImage(context.Background(), Image(t, cfg, steps...))
	if err != nil {
		t.Fatal(err)
	}
	tg.Name = "example.com/app:test"
	tg.Attestations = audit.Attestations{Known: true, PredicateTypes: []string{audit.PredicateSLSA1, audit.PredicateSPDX}}
	return tg
}

func (fx fixture) run(t *testing.T, opts ...audit.Option) *audit.Report {
	t.Helper()
	all := append([]audit.Option{audit.WithTime(Epoch.Add(24 * time.Hour)), audit.WithVulnerabilities(&audit.Vulnerabilities{Scanner: "trivy", Medium: 2})}, fx.opts...)
	r, err := audit.Run(context.Background(), fx.target(t), append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func result(t *testing.T, r *audit.Report, id string) audit.Result {
	t.Helper()
	for _, res := range r.Results {
		if res.ID == id {
			return res
		}
	}
	t.Fatalf("no result for %s", id)
	return audit.Result{}
}

func add(files ...File) func([]File) []File {
	return func(fs []File) []File { return Replace(fs, files...) }
}

func drop(paths ...string) func([]File) []File {
	return func(fs []File) []File { return Without(fs, paths...) }
}

func labels(change func(map[string]string)) func(*v1.ConfigFile) {
	return func(c *v1.ConfigFile) { change(c.Config.Labels) }
}

// fakeToken builds a token of a well-known format without spelling one out in the source.
func fakeToken(prefix string, n int) string { return prefix + strings.Repeat("x7Q", n)[:n] }

// privateKey is shaped like an OpenSSH key, with a body of the right alphabet and no key in it.
var privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Repeat("b3BlbnNzaC1rZXktdjEAAAAA", 3) + "\n-----END OPENSSH PRIVATE KEY-----\n"

func TestCleanImagePassesEveryCheck(t *testing.T) {
	r := fixture{}.run(t, audit.WithRunTest(&audit.RunTest{Ran: `["/app/server"] as 65532:65532, until it exits`, Passed: true}))
	for _, res := range r.Results {
		if res.Status != audit.StatusPass {
			t.Errorf("%s: %s: %s %v", res.ID, res.Status, res.Message, res.Evidence)
		}
	}
	if len(r.Results) != len(audit.Checks()) {
		t.Errorf("%d results for %d checks", len(r.Results), len(audit.Checks()))
	}
	if !r.Gate.Passed {
		t.Errorf("gate: %+v", r.Gate)
	}
}

// TestEachCheckFailsOnItsFixture breaks the clean image one way at a time; each check must fail
// on its own fixture, naming the evidence.
func TestEachCheckFailsOnItsFixture(t *testing.T) {
	uaKey := "AKIA" + strings.ToUpper(fakeToken("", 16))
	for _, tc := range []struct {
		check    string
		fx       fixture
		evidence string // a substring of some evidence
	}{
		{"HX-USER-ROOT", fixture{cfg: func(c *v1.ConfigFile) { c.Config.User = "" }}, "config.User"},
		{"HX-USER-ROOT", fixture{cfg: func(c *v1.ConfigFile) { c.Config.User = "root" }}, `"root"`},
		{"HX-USER-ROOT", fixture{cfg: func(c *v1.ConfigFile) { c.Config.User = "0:0" }}, `"0:0"`},
		{"HX-USER-NUMERIC", fixture{cfg: func(c *v1.ConfigFile) { c.Config.User = "nonroot" }}, `"nonroot"`},
		{"HX-USER-GROUP", fixture{cfg: func(c *v1.ConfigFile) { c.Config.User = "65532:0" }}, "gid 0"},
		{"HX-USER-GROUP", fixture{cfg: func(c *v1.ConfigFile) { c.Config.User = "4242" }}, "no /etc/passwd entry"},
		{"HX-USER-ACCOUNT", fixture{base: add(Reg("/etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/bin/bash\n"))}, "login shell /bin/bash"},
		{"HX-USER-PASSWORD", fixture{base: add(Reg("/etc/shadow", 0o640, "root:*:19000:0:99999:7:::\nnonroot::19000:0:99999:7:::\n"))}, "/etc/shadow"},
		{"HX-USER-UNIQUE", fixture{base: add(Reg("/etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\ntoor:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"))}, "uid 0"},
		{"HX-PRIV-SETUID", fixture{base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/passwd", 0o4755, "\x7fELF"))}, "/usr/bin/passwd"},
		{"HX-PRIV-SETUID-LAYERS", fixture{
			base:  add(Dir("/usr/bin", 0o755), Reg("/usr/bin/newgrp", 0o4755, "\x7fELF")),
			extra: []Step{{CreatedBy: "strip setuid", Files: []File{Reg("/usr/bin/newgrp", 0o755, "\x7fELF")}}},
		}, "replaced in a later layer"},
		{"HX-PRIV-CAPS", fixture{base: add(Dir("/usr/bin", 0o755), File{Path: "/usr/bin/ping", Mode: 0o755, Body: "\x7fELF",
			PAX: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}})}, "cap_net_raw"},
		{"HX-PRIV-ESCALATION", fixture{base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/sudo", 0o755, "\x7fELF"))}, "/usr/bin/sudo"},
		{"HX-PRIV-WORLD-WRITABLE", fixture{app: add(Reg("/app/data.txt", 0o666, "x"))}, "/app/data.txt"},
		{"HX-PRIV-WORLD-WRITABLE", fixture{base: add(Dir("/var/cache", 0o777))}, "without the sticky bit"},
		{"HX-PRIV-APP-WRITABLE", fixture{app: add(Reg("/app/server", 0o755, "\x7fELF").Owned(65532, 65532))}, "/app/server"},
		{"HX-MIN-SHELL", fixture{base: add(Dir("/bin", 0o755), Reg("/bin/dash", 0o755, "\x7fELF"), Symlink("/bin/sh", "dash"))}, "/bin/sh"},
		{"HX-MIN-PKG-MANAGER", fixture{base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/dpkg", 0o755, "\x7fELF"), Reg("/usr/bin/apt-get", 0o755, "\x7fELF"))}, "/usr/bin/apt-get"},
		{"HX-MIN-NETWORK-TOOLS", fixture{base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/curl", 0o755, "\x7fELF"))}, "/usr/bin/curl"},
		{"HX-MIN-COMPILERS", fixture{base: add(Dir("/usr/bin", 0o755), Reg("/usr/bin/gcc", 0o755, "\x7fELF"))}, "/usr/bin/gcc"},
		{"HX-MIN-LEFTOVERS", fixture{app: add(Dir("/app/.git", 0o755), Reg("/app/.git/HEAD", 0o644, "ref: refs/heads/main\n"))}, "a git repository"},
		{"HX-MIN-LEFTOVERS", fixture{base: add(Dir("/var/lib/apt", 0o755), Dir("/var/lib/apt/lists", 0o755), Reg("/var/lib/apt/lists/lock", 0o640, ""),
			Reg("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", 0o644, "Origin: Debian\n"))}, "apt package lists: 1 file"},
		{"HX-MIN-SIZE", fixture{opts: []audit.Option{audit.WithBudget(100, 1)}}, "over the budget of 1"},
		{"HX-SEC-ENV", fixture{cfg: func(c *v1.ConfigFile) { c.Config.Env = append(c.Config.Env, "DB_PASSWORD=hunter2") }}, "config.Env.DB_PASSWORD"},
		{"HX-SEC-ENV", fixture{cfg: func(c *v1.ConfigFile) { c.Config.Env = append(c.Config.Env, "GH="+fakeToken("ghp_", 36)) }}, "github-token"},
		{"HX-SEC-HISTORY", fixture{history: []string{"", "RUN |1 NPM_TOKEN=s3cr3tvalue /bin/sh -c npm ci # buildkit"}}, "NPM_TOKEN=****"},
		{"HX-SEC-HISTORY", fixture{history: []string{"ARG SLACK_HOOK=https://hooks.slack.com/services/T000/B000/" + fakeToken("", 24)}}, "slack-webhook"},
		{"HX-SEC-FILES", fixture{base: add(Dir("/root", 0o700), Dir("/root/.ssh", 0o700), Reg("/root/.ssh/id_rsa", 0o600, "not really a key"))}, "/root/.ssh/id_rsa"},
		{"HX-SEC-FILES", fixture{base: add(Dir("/root", 0o700), Dir("/root/.docker", 0o700), Reg("/root/.docker/config.json", 0o600, `{"auths":{"r.example":{"auth":"dXNlcjpwYXNz"}}}`))}, "registry credentials"},
		{"HX-SEC-CONTENT", fixture{app: add(Reg("/app/config.yaml", 0o644, "aws:\n  key: "+uaKey+"\n"))}, "aws-access-key-id at line 2"},
		{"HX-SEC-CONTENT", fixture{app: add(Reg("/app/tls.key", 0o600, privateKey))}, "/app/tls.key: private-key at line 1: -----BEGIN OPENSSH PRIVATE KEY----- (layer 1)"},
		{"HX-SEC-LAYERS", fixture{extra: []Step{
			{CreatedBy: "COPY deploy.key /tmp/deploy.key", Files: []File{Reg("/tmp/deploy.key", 0o600, privateKey)}},
			{CreatedBy: "RUN rm /tmp/deploy.key", Files: []File{Whiteout("/tmp/deploy.key")}},
		}}, "deleted in a later layer"},
		{"HX-CONFIG-HEALTHCHECK", fixture{cfg: func(c *v1.ConfigFile) { c.Config.Healthcheck = nil }}, "not set"},
		{"HX-CONFIG-HEALTHCHECK", fixture{cfg: func(c *v1.ConfigFile) {
			c.Config.Healthcheck = &v1.HealthConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}}
		}}, "CMD-SHELL"},
		{"HX-CONFIG-ENTRYPOINT", fixture{cfg: func(c *v1.ConfigFile) { c.Config.Entrypoint = []string{"/bin/sh", "-c", "/app/server"} }}, "/bin/sh"},
		{"HX-CONFIG-ENTRYPOINT", fixture{cfg: func(c *v1.ConfigFile) { c.Config.Entrypoint = []string{"/app/missing"} }}, "/app/missing"},
		{"HX-CONFIG-PATHS", fixture{cfg: func(c *v1.ConfigFile) { c.Config.Volumes = map[string]struct{}{"/proc": {}} }}, "VOLUME /proc"},
		{"HX-CONFIG-PORTS", fixture{cfg: func(c *v1.ConfigFile) { c.Config.ExposedPorts["22/tcp"] = struct{}{} }}, "22/tcp exposes SSH"},
		{"HX-CONFIG-LABELS", fixture{cfg: labels(func(l map[string]string) { delete(l, "org.opencontainers.image.source") })}, "image.source"},
		{"HX-CONFIG-RUNTIME", fixture{cfg: func(c *v1.ConfigFile) { c.Config.OnBuild = []string{"RUN make"} }}, "ONBUILD RUN make"},
		{"HX-CONFIG-REPRODUCIBLE", fixture{app: add(File{Path: "/app/server", Mode: 0o755, Body: "\x7fELF", ModTime: Epoch.Add(time.Hour)})}, "/app/server"},
		{"HX-SUPPLY-BASE", fixture{cfg: labels(func(l map[string]string) { delete(l, "org.opencontainers.image.base.digest") })}, "base.digest"},
		{"HX-SUPPLY-BASE", fixture{cfg: labels(func(l map[string]string) {
			l["org.opencontainers.image.base.name"] = "gcr.io/distroless/static@sha256:" + strings.Repeat("f", 64)
		})}, "base.name"},
		{"HX-SUPPLY-ADD", fixture{history: []string{"", "ADD https://example.com/tool.tgz /opt/ # buildkit"}}, "remote ADD without --checksum"},
		{"HX-SUPPLY-UPDATES", fixture{history: []string{"", "RUN /bin/sh -c apt-get update # buildkit"}}, "update without install"},
		{"HX-SUPPLY-VERIFIED", fixture{history: []string{"", "RUN /bin/sh -c curl -k https://example.com/i.sh | sh # buildkit"}}, "curl without TLS verification"},
		{"HX-SCAN-OS", fixture{base: drop("/etc/debian_version")}, "/etc/debian_version"},
		{"HX-SCAN-OS", fixture{base: drop("/etc/os-release", "/usr/lib/os-release")}, "/etc/os-release"},
		{"HX-SCAN-PACKAGES", fixture{base: drop("/var/lib/dpkg/status.d")}, "/var/lib/dpkg/status.d"},
		{"HX-SCAN-PACKAGES", fixture{base: add(Dir("/usr/share/doc/libc6", 0o755), Reg("/usr/share/doc/libc6/copyright", 0o644, "c"))}, "package libc6 ships files"},
		{"HX-SCAN-LICENSES", fixture{base: drop("/usr/share/doc/base-files")}, "missing for package base-files"},
		{"HX-SCAN-BINARIES", fixture{app: add(Reg("/app/server", 0o755, "\x7fELF\x02\x01\x01 ... UPX! packed"))}, "UPX-packed"},
		{"HX-SCAN-VULNS", fixture{opts: []audit.Option{audit.WithVulnerabilities(&audit.Vulnerabilities{Scanner: "grype", High: 3})}}, "3 high"},
	} {
		t.Run(tc.check+"/"+tc.evidence, func(t *testing.T) {
			res := result(t, tc.fx.run(t), tc.check)
			if res.Status != audit.StatusFail {
				t.Fatalf("%s: status %s (%s), want fail", tc.check, res.Status, res.Message)
			}
			var all []string
			for _, ev := range res.Evidence {
				all = append(all, ev.String())
			}
			if !strings.Contains(strings.Join(all, "\n")+"\n"+res.Message, tc.evidence) {
				t.Errorf("%s: evidence lacks %q:\n%s\n%s", tc.check, tc.evidence, res.Message, strings.Join(all, "\n"))
			}
		})
	}
}

func TestEveryCheckHasAFixtureAndMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range audit.Checks() {
		if !strings.HasPrefix(c.ID, "HX-") || c.Title == "" || c.Rationale == "" || strings.Contains(c.Rationale, "\n") {
			t.Errorf("%s: incomplete metadata %+v", c.ID, c)
		}
		if seen[c.ID] || (c.Catalogue != "" && seen[c.Catalogue]) {
			t.Errorf("%s: duplicate id", c.ID)
		}
		seen[c.ID], seen[c.Catalogue] = true, true
	}
}

func TestAttestationsUnknownAreSkipped(t *testing.T) {
	tg := fixture{}.target(t)
	tg.Attestations = audit.Attestations{}
	r, err := audit.Run(context.Background(), tg, audit.WithChecks("HX-SUPPLY-SBOM", "HX-SUPPLY-PROVENANCE"))
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Results {
		if res.Status != audit.StatusSkip {
			t.Errorf("%s: %s, want skip", res.ID, res.Status)
		}
	}
	tg.Attestations = audit.Attestations{Known: true}
	r, _ = audit.Run(context.Background(), tg, audit.WithChecks("HX-SUPPLY-SBOM"))
	if r.Results[0].Status != audit.StatusFail {
		t.Errorf("no attestations: %s, want fail", r.Results[0].Status)
	}
}

func TestLayerChecksSkipWithoutLayerData(t *testing.T) {
	tg := fixture{}.target(t)
	tg.Layers = nil
	r, err := audit.Run(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"HX-SEC-LAYERS", "HX-PRIV-SETUID-LAYERS"} {
		if res := result(t, r, id); res.Status != audit.StatusSkip || !strings.Contains(res.Message, "layer data not available") {
			t.Errorf("%s: %s %q", id, res.Status, res.Message)
		}
	}
	// Without layers the merged filesystem is searched instead.
	tg = fixture{app: add(Reg("/app/tls.key", 0o600, privateKey))}.target(t)
	tg.Layers = nil
	r, _ = audit.Run(context.Background(), tg, audit.WithChecks("HX-SEC-CONTENT"))
	if r.Results[0].Status != audit.StatusFail {
		t.Errorf("HX-SEC-CONTENT through the filesystem: %s", r.Results[0].Status)
	}
}

func TestEmptyLayers(t *testing.T) {
	fx := fixture{extra: []Step{{CreatedBy: "RUN true"}, {CreatedBy: "COPY extra", Files: []File{Reg("/app/extra", 0o644, "x")}}, {CreatedBy: "RUN true"}}}
	r := fx.run(t)
	for _, res := range r.Results {
		if res.Status != audit.StatusPass && res.ID != audit.RunTestID { // no build tested the fixture
			t.Errorf("%s: %s %s", res.ID, res.Status, res.Message)
		}
	}
	if r.Image.Stats.Layers != 5 {
		t.Errorf("%d layers, want 5", r.Image.Stats.Layers)
	}
}
