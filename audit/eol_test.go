package audit_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
)

// debianCodenames name the releases the fixtures are built on.
var debianCodenames = map[string]string{"12": "bookworm", "13": "trixie"}

// debianFiles are the clean base's OS files as distroless writes them for a release.
func debianFiles(release string) func([]File) []File {
	return add(
		Reg("/etc/debian_version", 0o644, release+".1\n"),
		Reg("/usr/lib/os-release", 0o644, distrolessOSRelease(release)),
		Reg("/var/lib/dpkg/status.d/base-files", 0o644, "Package: base-files\nVersion: "+release+".4\nArchitecture: amd64\n"),
	)
}

// distrolessOSRelease is distroless's /usr/lib/os-release: Debian's ID and VERSION_ID, its own PRETTY_NAME.
func distrolessOSRelease(release string) string {
	return fmt.Sprintf("PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=%q\nVERSION=\"Debian GNU/Linux %s (%s)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n",
		release, release, debianCodenames[release])
}

// debianOSRelease is an ordinary Debian image's /usr/lib/os-release.
func debianOSRelease(release string) string {
	return fmt.Sprintf("PRETTY_NAME=\"Debian GNU/Linux %s (%s)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=%q\nVERSION=\"%s (%s)\"\nVERSION_CODENAME=%s\nID=debian\n",
		release, debianCodenames[release], release, release, debianCodenames[release], debianCodenames[release])
}

// nodeBinary stands in for a node executable: an ELF header, then the strings scanners read.
func nodeBinary(version string) string {
	return "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 300) + "User-Agent: node.js/v" + version + "\x00" + strings.Repeat("x", 200) + "\x00v" + version + "\x00"
}

func baseLabel(ref string) func(*v1.ConfigFile) {
	return labels(func(l map[string]string) { l["org.opencontainers.image.base.name"] = ref })
}

// distrolessNode is a distroless nodejs image's runtime files: /nodejs from the release tarball.
func distrolessNode(version string) func([]File) []File {
	return add(Dir("/nodejs", 0o755), Dir("/nodejs/bin", 0o755), Reg("/nodejs/bin/node", 0o755, nodeBinary(version)))
}

func then(fns ...func([]File) []File) func([]File) []File {
	return func(fs []File) []File {
		for _, fn := range fns {
			fs = fn(fs)
		}
		return fs
	}
}

func nodeHeader(major, minor, patch int) string {
	return fmt.Sprintf("#ifndef SRC_NODE_VERSION_H_\n#define SRC_NODE_VERSION_H_\n\n#define NODE_MAJOR_VERSION %d\n#define NODE_MINOR_VERSION %d\n#define NODE_PATCH_VERSION %d\n", major, minor, patch)
}

func TestEndOfLife(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	nodejs12 := then(debianFiles("12"), distrolessNode("22.23.2"))
	for _, tc := range []struct {
		name     string
		fx       fixture
		at       string
		status   audit.Status
		severity audit.Severity
		// evidence is each finding's location and the start of what it says, in order.
		evidence []string
		message  string
	}{
		{name: "distroless static debian13", message: "distroless Debian 13 (static, base, base-nossl, cc) is supported (no end of life announced)"},
		{name: "distroless static debian12", fx: fixture{base: debianFiles("12"), cfg: baseLabel("gcr.io/distroless/static-debian12:nonroot")},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{`/etc/os-release: PRETTY_NAME="Distroless", VERSION_ID="12" on gcr.io/distroless/static-debian12:nonroot: distroless Debian 12 (static, base, base-nossl, cc) reached end of life on 2026-09-30; move to the -debian13 image`}},
		{name: "ordinary debian12", fx: fixture{base: add(Reg("/usr/lib/os-release", 0o644, debianOSRelease("12"))), cfg: baseLabel("docker.io/library/debian:12-slim")},
			message: "Debian 12 is supported until 2028-06-30"},
		{name: "ordinary debian13", fx: fixture{base: add(Reg("/usr/lib/os-release", 0o644, debianOSRelease("13"))), cfg: baseLabel("docker.io/library/debian:13-slim")},
			message: "Debian 13 is supported until 2030-06-30"},
		{name: "scratch", fx: fixture{base: func([]File) []File { return nil }, cfg: baseLabel("scratch")},
			message: "no OS release, base or runtime the lifecycle table lists"},
		{name: "distroless nodejs22 debian12", fx: fixture{base: nodejs12, cfg: baseLabel("gcr.io/distroless/nodejs22-debian12:nonroot")},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{`/etc/os-release: PRETTY_NAME="Distroless", VERSION_ID="12" with /nodejs/bin/node: distroless Debian 12 (nodejs) reached end of life on 2026-01-31`},
			message:  "1 release past end of life"},
		{name: "distroless nodejs24 debian13", fx: fixture{base: distrolessNode("24.11.1"), cfg: baseLabel("gcr.io/distroless/nodejs24-debian13:nonroot")},
			message: "distroless Debian 13 (nodejs) is supported (no end of life announced); Node.js 24 is supported until 2028-04-30"},
		{name: "the label tells a nodejs base without its files", fx: fixture{base: debianFiles("12"), cfg: baseLabel("gcr.io/distroless/nodejs22-debian12@sha256:" + strings.Repeat("a", 64))},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{`/etc/os-release: PRETTY_NAME="Distroless", VERSION_ID="12" on gcr.io/distroless/nodejs22-debian12@sha256:`}},
		{name: "a stale base label", fx: fixture{cfg: baseLabel("gcr.io/distroless/cc-debian12:nonroot")},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{"config.Labels.org.opencontainers.image.base.name: gcr.io/distroless/cc-debian12:nonroot: distroless Debian 12 (static, base, base-nossl, cc) reached end of life"}},
		{name: "node 20 by process.version", fx: fixture{app: add(Reg("/app/node", 0o755, "\x7fELF"+strings.Repeat("\x00", 64)+"\x00v20.19.5\x00"))},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{"/app/node: Node.js 20.19.5 (process.version v20.19.5 in the binary): Node.js 20 reached end of life on 2026-04-30; move to Node.js 24"}},
		{name: "node 18 by its header", fx: fixture{base: add(Dir("/usr/local/bin", 0o755), Reg("/usr/local/bin/node", 0o755, "\x7fELF no version here"),
			Dir("/usr/local/include/node", 0o755), Reg("/usr/local/include/node/node_version.h", 0o644, nodeHeader(18, 20, 8)))},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{"/usr/local/bin/node: Node.js 18.20.8 (/usr/local/include/node/node_version.h): Node.js 18 reached end of life on 2025-04-30"}},
		{name: "node ending soon warns", fx: fixture{base: distrolessNode("22.23.2")}, at: "2027-03-01",
			status: audit.StatusFail, severity: audit.Low, message: "1 release ending within 90 days",
			evidence: []string{"/nodejs/bin/node: Node.js 22.23.2 (node.js/v22.23.2 in the binary): Node.js 22 reaches end of life on 2027-04-30; move to Node.js 24"}},
		{name: "debian's nodejs follows debian", fx: fixture{base: add(Reg("/usr/lib/os-release", 0o644, debianOSRelease("12")), Dir("/usr/bin", 0o755), Reg("/usr/bin/node", 0o755, nodeBinary("18.19.0")),
			Reg("/var/lib/dpkg/status.d/nodejs", 0o644, "Package: nodejs\nVersion: 18.19.0+dfsg-6~deb12u2\nArchitecture: amd64\n"),
			Reg("/var/lib/dpkg/status.d/nodejs.md5sums", 0o644, "d41d8cd98f00b204e9800998ecf8427e  usr/bin/node\n"),
			Dir("/usr/share/doc/nodejs", 0o755), Reg("/usr/share/doc/nodejs/copyright", 0o644, "c"))},
			message: "Debian 12 is supported until 2028-06-30"},
		{name: "distroless python3 debian12", fx: fixture{base: then(debianFiles("12"), add(Dir("/usr/bin", 0o755), Reg("/usr/bin/python3.11", 0o755, "\x7fELF"), Symlink("/usr/bin/python3", "python3.11"),
			Reg("/var/lib/dpkg/status.d/python3.11-minimal", 0o644, "Package: python3.11-minimal\nVersion: 3.11.2-6+deb12u6\nArchitecture: amd64\n"),
			Reg("/var/lib/dpkg/status.d/python3.11-minimal.md5sums", 0o644, "d41d8cd98f00b204e9800998ecf8427e  usr/bin/python3.11\n"),
			Dir("/usr/share/doc/python3.11-minimal", 0o755), Reg("/usr/share/doc/python3.11-minimal/copyright", 0o644, "c")))},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{`/etc/os-release: PRETTY_NAME="Distroless", VERSION_ID="12" with /usr/bin/python3.11: distroless Debian 12 (python3) reached end of life on 2026-04-30`}},
		{name: "python 3.9 built from source", fx: fixture{base: add(Dir("/usr/local/bin", 0o755), Reg("/usr/local/bin/python3.9", 0o755, "\x7fELF"),
			Dir("/usr/local/lib/python3.9", 0o755), Reg("/usr/local/lib/python3.9/os.py", 0o644, "import abc\n"))},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{"/usr/local/bin/python3.9: Python 3.9 (the interpreter's name): Python 3.9 reached end of life on 2025-10-31; move to Python 3.13"}},
		{name: "a venv's lib is not an interpreter", fx: fixture{app: add(Dir("/app/.venv", 0o755), Dir("/app/.venv/lib", 0o755), Dir("/app/.venv/lib/python3.9", 0o755), Dir("/app/.venv/lib/python3.9/site-packages", 0o755))},
			message: "distroless Debian 13 (static, base, base-nossl, cc) is supported"},
		{name: "temurin 24 by its release file", fx: fixture{base: add(Dir("/opt", 0o755), Dir("/opt/java", 0o755), Dir("/opt/java/openjdk", 0o755), Dir("/opt/java/openjdk/bin", 0o755),
			Reg("/opt/java/openjdk/bin/java", 0o755, "\x7fELF"), Reg("/opt/java/openjdk/release", 0o644, "IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"24.0.2\"\n"))},
			status: audit.StatusFail, severity: audit.High,
			evidence: []string{`/opt/java/openjdk/release: Java 24.0.2 (JAVA_VERSION in its release file): Java 24 reached end of life on 2025-09-30; move to Java 25`}},
		{name: "distroless java21 debian13 through a link", fx: fixture{base: add(Dir("/usr/bin", 0o755), Symlink("/usr/bin/java", "/usr/lib/jvm/temurin21_jre_amd64/bin/java"),
			Dir("/usr/lib/jvm", 0o755), Dir("/usr/lib/jvm/temurin21_jre_amd64", 0o755), Dir("/usr/lib/jvm/temurin21_jre_amd64/bin", 0o755),
			Reg("/usr/lib/jvm/temurin21_jre_amd64/bin/java", 0o755, "\x7fELF"), Reg("/usr/lib/jvm/temurin21_jre_amd64/release", 0o644, "JAVA_VERSION=\"21.0.12\"\n")),
			cfg: baseLabel("gcr.io/distroless/java21-debian13:nonroot")},
			message: "distroless Debian 13 (java) is supported (no end of life announced); Java 21 is supported until 2029-12-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := Epoch.Add(24 * time.Hour)
			if tc.at != "" {
				at = day(tc.at)
			}
			res := result(t, tc.fx.run(t, audit.WithTime(at), audit.WithChecks("HX-SUPPLY-EOL")), "HX-SUPPLY-EOL")
			want := tc.status
			if want == "" {
				want = audit.StatusPass
			}
			if res.Status != want || (want == audit.StatusFail && res.Severity != tc.severity) {
				t.Errorf("%s at %s, want %s at %s: %s %v", res.Status, res.Severity, want, tc.severity, res.Message, res.Evidence)
			}
			if tc.message != "" && !strings.Contains(res.Message, tc.message) {
				t.Errorf("message %q lacks %q", res.Message, tc.message)
			}
			if len(res.Evidence) != len(tc.evidence) {
				t.Fatalf("%d findings, want %d: %v", len(res.Evidence), len(tc.evidence), res.Evidence)
			}
			for i, ev := range res.Evidence {
				if !strings.HasPrefix(ev.String(), tc.evidence[i]) {
					t.Errorf("finding %d:\n %s\nwant it to start\n %s", i, ev, tc.evidence[i])
				}
			}
		})
	}
}
