package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hardenedbuild/hardened/audit"
	. "github.com/hardenedbuild/hardened/internal/imagetest"
	"github.com/hardenedbuild/hardened/lockfile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// writeLayout writes an image into a new OCI layout directory, in an index with the SBOM and
// provenance attestations BuildKit attaches.
func writeLayout(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	idx := Index(t, IndexEntry{Image: img, OS: "linux", Arch: "amd64", PredicateTypes: []string{audit.PredicateSPDX, audit.PredicateSLSA1}})
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	return dir
}

// variant is the clean image with its config changed and files added.
func variant(t *testing.T, change func(*v1.ConfigFile), extra ...File) v1.Image {
	t.Helper()
	cfg := CleanConfig()
	if change != nil {
		change(&cfg)
	}
	steps := CleanSteps()
	if len(extra) > 0 {
		steps = append(steps, Step{CreatedBy: "COPY extra", Files: extra})
	}
	return Image(t, cfg, steps...)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// noScanners leaves PATH without trivy or grype.
func noScanners(t *testing.T) { t.Setenv("PATH", t.TempDir()) }

func TestCheck(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(Epoch.Unix()+86400, 10))
	noScanners(t)
	clean := writeLayout(t, clean(t))
	root := writeLayout(t, variant(t, func(c *v1.ConfigFile) { c.Config.User = "" }))
	noHealth := writeLayout(t, variant(t, func(c *v1.ConfigFile) { c.Config.Healthcheck = nil }))
	fat := writeLayout(t, variant(t, nil, Dir("/usr/bin", 0o755), Reg("/usr/bin/curl", 0o755, strings.Repeat("c", 5000)),
		Reg("/usr/bin/bash", 0o755, strings.Repeat("b", 9000))))
	noReason := writeFile(t, "no-reason.yaml", "waivers:\n  - id: HX-CONFIG-HEALTHCHECK\n")
	expired := writeFile(t, "expired.yaml", "waivers:\n  - id: HX-CONFIG-HEALTHCHECK\n    reason: probed by the platform\n    expires: 2025-12-31\n")
	valid := writeFile(t, "valid.yaml", "waivers:\n  - id: HX-CONFIG-HEALTHCHECK\n    reason: probed by the platform\n    expires: 2026-12-31\n")
	out := filepath.Join(t.TempDir(), "report.sarif")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{"clean layout", []string{"check", clean}, 0, []string{"Container Image Hardening Report", "Image: " + clean, "[PASS] Non-root user: runs as 65532:65532", "RESULT: PASS (--fail-on high)"}, nil, false},
		{"flags after the image", []string{"check", clean, "--format", "json", "--fail-on", "low"}, 0, []string{`"schemaVersion": 1`, `"failOn": "low"`}, nil, false},
		{"root fails high", []string{"check", root}, 1, []string{"[FAIL] Non-root user: the image runs as root: no user is set (HX-USER-ROOT, high)", "RESULT: FAIL"}, nil, false},
		{"not gated", []string{"check", "--fail-on", "none", root}, 0, []string{"RESULT: not gated"}, nil, false},
		{"low passes the default gate", []string{"check", noHealth}, 0, []string{"[WARN] HEALTHCHECK defined: no HEALTHCHECK"}, nil, false},
		{"low fails --fail-on low", []string{"check", "--fail-on", "low", noHealth}, 1, nil, nil, false},
		{"waiver", []string{"check", "--fail-on", "low", "--ignore", valid, noHealth}, 0, []string{"[WAIVED] HEALTHCHECK defined", "[APPLIED] HX-CONFIG-HEALTHCHECK"}, nil, false},
		{"expired waiver", []string{"check", "--ignore", expired, noHealth}, 1, []string{"[EXPIRED] HX-CONFIG-HEALTHCHECK", "expired on 2025-12-31"}, nil, false},
		{"waiver without a reason", []string{"check", "--ignore", noReason, clean}, 2, nil, []string{"no-reason.yaml:2:5: waivers[0]: a waiver needs a reason"}, true},
		{"only what is added", []string{"check", "--only-added", clean, fat}, 0, []string{"Only what the image adds over: " + clean, "[FAIL] No shell: shell found: bash"}, nil, false},
		{"sarif to a file", []string{"check", "--format", "sarif", "-o", out, root}, 1, nil, nil, true},
		{"vulns without a scanner", []string{"check", "--vulns", clean}, 3, []string{"[SKIP] No critical or high CVEs: skipped: neither trivy nor grype is on PATH"}, []string{"--vulns: neither trivy nor grype is on PATH; install one, or drop --vulns"}, false},
		{"only some checks", []string{"check", "--checks", "HX-USER-ROOT,HX-MIN-001", root}, 1, []string{"SUMMARY: 1 passed, 1 failed"}, nil, false},
		{"no image", []string{"check"}, 2, nil, []string{"want exactly one image, got 0", "Usage:"}, true},
		{"two images", []string{"check", clean, root}, 2, nil, []string{"want exactly one image, got 2"}, true},
		{"bad format", []string{"check", "--format", "xml", clean}, 2, nil, []string{`unknown --format "xml"`}, true},
		{"bad fail-on", []string{"check", "--fail-on", "critical", clean}, 2, nil, []string{`--fail-on: unknown severity "critical"`}, true},
		{"bad check id", []string{"check", "--checks", "HX-NOPE", clean}, 2, nil, []string{`unknown check "HX-NOPE"`}, true},
		{"bad max-size", []string{"check", "--max-size", "huge", clean}, 2, nil, []string{`--max-size: "huge" is not a size`}, true},
		{"not a layout", []string{"check", t.TempDir()}, 3, nil, []string{"not an OCI image layout: the directory has no index.json"}, true},
		{"size budget", []string{"check", "--max-size", "1kB", "--fail-on", "low", fat}, 1, []string{"over the 1.0 kB budget"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if tc.noStdout && stdout.Len() > 0 {
				t.Errorf("unexpected stdout:\n%s", stdout.String())
			}
		})
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(data, []byte(`"version": "2.1.0"`)) {
		t.Errorf("-o wrote %d bytes, %v", len(data), err)
	}
}

func TestCheckCompare(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(Epoch.Unix()+86400, 10))
	noScanners(t)
	clean := writeLayout(t, clean(t))
	fat := writeLayout(t, variant(t, nil, Dir("/usr/bin", 0o755), Reg("/usr/bin/curl", 0o755, strings.Repeat("c", 5000)),
		Dir("/var/lib/dpkg/status.d", 0o755), Reg("/var/lib/dpkg/status.d/curl", 0o644, "Package: curl\nVersion: 7.88.1-10+deb12u8\n"),
		Dir("/usr/share/doc/curl", 0o755), Reg("/usr/share/doc/curl/copyright", 0o644, "c")))
	var stdout, stderr bytes.Buffer
	code := run([]string{"check", "--compare", fat, clean}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// Paths vary by run, and digests and compressed sizes by compressor; the golden file has
	// placeholders for them.
	got := strings.ReplaceAll(strings.ReplaceAll(stdout.String(), fat, "FAT"), clean, "CLEAN")
	got = regexp.MustCompile(`\(sha256:[0-9a-f]{64}\)`).ReplaceAllString(got, "(DIGEST)")
	got = regexp.MustCompile(`\([0-9.,]+ [kM]?B compressed\)`).ReplaceAllString(got, "(SIZE compressed)")
	goldenFile(t, "check-compare.txt", []byte(got))
}

func TestCheckRegistry(t *testing.T) {
	noScanners(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	img := clean(t)
	idx := Index(t, IndexEntry{Image: img, OS: "linux", Arch: "amd64", PredicateTypes: []string{audit.PredicateSPDX, audit.PredicateSLSA1}})
	ref := strings.TrimPrefix(srv.URL, "http://") + "/hardened/app:1"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "--platform", "linux/amd64", "--format", "json", ref}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	var rep audit.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	if rep.Image.Name != ref || rep.Image.Digest != digest.String() || rep.Image.Stats.CompressedBytes == 0 {
		t.Errorf("image %+v", rep.Image)
	}
	for _, res := range rep.Results {
		if res.Status == audit.StatusFail || (res.Status == audit.StatusSkip && res.ID != "HX-SCAN-VULNS" && res.ID != audit.RunTestID) {
			t.Errorf("%s: %s %s", res.ID, res.Status, res.Message)
		}
	}
	// A missing tag is a clear error, exit 3.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"check", strings.TrimSuffix(ref, ":1") + ":nope"}, &stdout, &stderr); code != 3 || !strings.Contains(stderr.String(), "MANIFEST_UNKNOWN") {
		t.Errorf("missing tag: exit %d: %s", code, stderr.String())
	}
}

func TestCheckVulnsWithAFakeScanner(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(Epoch.Unix()+86400, 10))
	dir := t.TempDir()
	fixture, _ := filepath.Abs("../../audit/vulns/testdata/trivy.json")
	if err := os.WriteFile(filepath.Join(dir, "trivy"), []byte("#!/bin/sh\ncat "+fixture+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	clean := writeLayout(t, clean(t))
	var stdout, stderr bytes.Buffer
	code := run([]string{"check", "--vulns", "--compare", clean, clean}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1 (critical CVEs fail the high gate): %s", code, stderr.String())
	}
	for _, want := range []string{
		"[FAIL] No critical or high CVEs: 1 critical and 2 high CVEs (HX-SCAN-VULNS, high)",
		"VULNERABILITY COMPARISON:\n  Before: 6 CVEs (1 Critical, 2 High, 1 Medium, 1 Low, 1 Unknown; trivy)",
		"Reduction: 0.0%",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func clean(t *testing.T) v1.Image { t.Helper(); return Clean(t) }

var codenames = map[string]string{"12": "bookworm", "13": "trixie"}

// distrolessOS are the OS files of a distroless release as its images have them.
func distrolessOS(release string) []File {
	return []File{
		Reg("/etc/debian_version", 0o644, release+".1\n"),
		Reg("/usr/lib/os-release", 0o644, fmt.Sprintf("PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=%q\nVERSION=\"Debian GNU/Linux %s (%s)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n",
			release, release, codenames[release])),
		Reg("/var/lib/dpkg/status.d/base-files", 0o644, "Package: base-files\nVersion: "+release+".4\nArchitecture: amd64\n"),
	}
}

// nodeApp is a Node.js service on distroless nodejs<major>-debian<release>: /nodejs from the
// release tarball (the binary with its version strings, include/node/node_version.h left out so
// the binary itself is read), distroless's status.d entry for it, and the app.
func nodeApp(t *testing.T, release, version string) v1.Image {
	t.Helper()
	major, _, _ := strings.Cut(version, ".")
	cfg := CleanConfig()
	cfg.Config.Labels["org.opencontainers.image.base.name"] = "gcr.io/distroless/nodejs" + major + "-debian" + release + ":nonroot"
	cfg.Config.Entrypoint = []string{"/nodejs/bin/node", "/app/server.js"}
	cfg.Config.Healthcheck = &v1.HealthConfig{Test: []string{"CMD", "/nodejs/bin/node", "/app/healthcheck.js"}}
	binary := "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 512) + "node.js/v" + version + "\x00" + strings.Repeat("\x00", 64) + "v" + version + "\x00"
	steps := CleanSteps()
	steps[0].Files = Replace(steps[0].Files, append(distrolessOS(release),
		Dir("/nodejs", 0o755), Dir("/nodejs/bin", 0o755), Reg("/nodejs/bin/node", 0o755, binary),
		Reg("/var/lib/dpkg/status.d/nodejs", 0o644, "Package: nodejs\nVersion: "+version+"\nArchitecture: amd64\nMaintainer: OpenJS Foundation <https://openjsf.org/>\n"))...)
	steps[1].Files = Replace(Without(steps[1].Files, "/app/server"),
		Reg("/app/server.js", 0o644, "require('http').createServer((q, s) => s.end('ok')).listen(8080)\n"),
		Reg("/app/healthcheck.js", 0o644, "process.exit(0)\n"))
	return Image(t, cfg, steps...)
}

func writeTarball(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.tar")
	tag, err := name.NewTag("example.com/app:eol")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckEndOfLife runs hardened check on the same Node.js app built on distroless nodejs22-debian12
// (ended 2026-01-31) and on nodejs24-debian13: the first fails, the second passes.
func TestCheckEndOfLife(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC).Unix(), 10))
	noScanners(t)
	old, current := nodeApp(t, "12", "22.23.2"), nodeApp(t, "13", "24.11.1")
	ignore := writeFile(t, "ignore.yaml", "waivers:\n  - id: HX-SUPPLY-EOL\n    path: /etc/os-release\n    reason: moving to debian13 this sprint\n    expires: 2027-01-31\n")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		not    []string
	}{
		{"debian12 layout fails", []string{"check", writeLayout(t, old)}, 1, []string{
			"[FAIL] Base and runtimes still supported: 1 release past end of life (HX-SUPPLY-EOL, high)",
			`- /etc/os-release: PRETTY_NAME="Distroless", VERSION_ID="12" with /nodejs/bin/node: distroless Debian 12 (nodejs) reached end of life on 2026-01-31; move to the -debian13 image`,
			"RESULT: FAIL (--fail-on high: 1 high check failing)"}, nil},
		{"debian12 tarball fails", []string{"check", writeTarball(t, old)}, 1, []string{"(HX-SUPPLY-EOL, high)"}, nil},
		{"debian13 layout passes", []string{"check", writeLayout(t, current)}, 0, []string{
			"[PASS] Base and runtimes still supported: distroless Debian 13 (nodejs) is supported (no end of life announced); Node.js 24 is supported until 2028-04-30 (HX-SUPPLY-EOL)",
			"RESULT: PASS"}, []string{"[FAIL]"}},
		{"debian13 tarball passes", []string{"check", writeTarball(t, current)}, 0, []string{"(HX-SUPPLY-EOL)"}, []string{"[FAIL]"}},
		{"waived", []string{"check", "--ignore", ignore, writeLayout(t, old)}, 0, []string{"[WAIVED] Base and runtimes still supported", "[APPLIED] HX-SUPPLY-EOL /etc/os-release"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, not := range tc.not {
				if strings.Contains(stdout.String(), not) {
					t.Errorf("stdout has %q:\n%s", not, stdout.String())
				}
			}
		})
	}
}

// TestLockWarnsOnEndOfLife: hardened lock names each locked distroless base that has ended or ends
// within 90 days (it sits here with the other end-of-life tests).
func TestLockWarnsOnEndOfLife(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	pin := "@sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		name   string
		images map[string]string
		want   []string
	}{
		{"debian12 base", map[string]string{"builder": "docker.io/library/node:22-bookworm-slim" + pin, "base": "gcr.io/distroless/nodejs22-debian12:nonroot" + pin},
			[]string{"hardened lock: warning: gcr.io/distroless/nodejs22-debian12:nonroot (base, linux/amd64): distroless Debian 12 (nodejs) reached end of life on 2026-01-31; move to the -debian13 image"}},
		{"debian13 base", map[string]string{"builder": "docker.io/library/golang:1.26-trixie" + pin, "base": "gcr.io/distroless/static-debian13:nonroot" + pin}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lock bytes.Buffer
			fmt.Fprintf(&lock, "version: 1\nimages:\n  linux/amd64:\n")
			for role, ref := range tc.images {
				fmt.Fprintf(&lock, "    %s: %s\n", role, ref)
			}
			l, err := lockfile.Parse("hardened.lock", lock.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			warnEndOfLife(l, day, &out)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if out.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("warnings:\n%s\nwant %d", out.String(), len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("warning %q\nwant it to start %q", lines[i], want)
				}
			}
		})
	}
}

// TestCheckWritableApplication runs hardened check on the images issue 23 built: /app from a git
// archive checkout (0664, 0775) and from a build step's chmod, mknod and mkfifo. Both fail the
// default gate; the base's sticky /tmp alone passes it.
func TestCheckWritableApplication(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(Epoch.Unix()+86400, 10))
	noScanners(t)
	checkout := variant(t, nil, Dir("/app", 0o775), Reg("/app/server.js", 0o664, "x"))
	step := variant(t, nil, Reg("/app/hello.py", 0o666, "x"), Dir("/app/ww", 0o777),
		File{Path: "/app/mem", Type: tar.TypeChar, Mode: 0o666}, File{Path: "/app/fifo", Type: tar.TypeFifo, Mode: 0o644})
	for _, tc := range []struct {
		name   string
		img    v1.Image
		code   int
		stdout []string
	}{
		{"git archive modes", checkout, 1, []string{
			"[FAIL] Application not writable by its own user: 2 paths the runtime user, or anyone, could rewrite (application: /app) (HX-PRIV-APP-WRITABLE, high)",
			"- /app/server.js: group-writable (mode -rw-rw-r-- (0664), owner 0:0) (layer 2)",
			"[FAIL] No world-writable files: 2 writable or special paths (2 in the application) (HX-PRIV-WORLD-WRITABLE, high)"}},
		{"chmod, mknod, mkfifo", step, 1, []string{
			"- /app/mem: a character device among application files, group-writable, world-writable (mode crw-rw-rw- (0666), owner 0:0) (layer 2)",
			"- /app/fifo: FIFO in the application (mode prw-r--r-- (0644)) (layer 2)",
			"RESULT: FAIL (--fail-on high: 2 high checks failing)"}},
		{"sticky /tmp only", clean(t), 0, []string{"[PASS] No world-writable files", "[PASS] Application not writable by its own user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"check", "--fail-on", "high", writeLayout(t, tc.img)}, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}
