//go:build integration

package integration

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// TestRuntimeLibsGoCgo builds examples/go-cgo (cgo, build.packages: [libsqlite3-dev],
// runtime.libs: [libsqlite3-0]) with docker buildx: the image answers from SQLite, every shared
// object from a package is recorded with its version the distroless way, and nothing of apt,
// dpkg or a shell came along.
func TestRuntimeLibsGoCgo(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go-cgo")
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--progress", "plain", "--sbom=true", "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	assertHardenedGo(t, img, "gcr.io/distroless/base-debian13:nonroot")

	cf, _ := img.ConfigFile()
	label := cf.Config.Labels[hllb.LabelRuntimeLibs]
	version := regexp.MustCompile(`(?:^| )libsqlite3-0=(\S+)`).FindStringSubmatch(label)
	if version == nil {
		t.Fatalf("label %s = %q, want libsqlite3-0=VERSION", hllb.LabelRuntimeLibs, label)
	}
	// The SBOM lists it, with that version.
	if sbomDoc := spdxDocuments(t, out)["image"]; !strings.Contains(sbomDoc, "pkg:deb/debian/libsqlite3-0@"+url.PathEscape(version[1])) {
		t.Errorf("the image SBOM lacks libsqlite3-0 %s", version[1])
	}
	// The build output names what it resolved.
	if !strings.Contains(log, "runtime.libs: libsqlite3-0 "+version[1]) {
		t.Errorf("the build output does not print libsqlite3-0 %s:\n%s", version[1], tail(log, 40))
	}

	files := flatFiles(t, img)
	status := packageRecords(t, img, files)
	if got := status["libsqlite3-0"].version; got != version[1] {
		t.Errorf("status.d/libsqlite3-0 Version %q, label says %q", got, version[1])
	}
	for _, want := range []string{"/var/lib/dpkg/status.d/libsqlite3-0.md5sums", "/usr/share/doc/libsqlite3-0/copyright"} {
		if files[want] == nil {
			t.Errorf("the image has no %s", want)
		}
	}
	for name := range files {
		if strings.HasPrefix(name, "/usr/share/doc/libsqlite3-0/") && path.Base(name) != "copyright" {
			t.Errorf("documentation other than the copyright file was kept: %s", name)
		}
		if strings.HasPrefix(name, "/usr/share/man/") {
			t.Errorf("a man page was kept: %s", name)
		}
	}

	// Every shared object that came from a package is in that package's md5sums, and the
	// package has a record with its version; the base's are held to the same rule.
	owner := map[string]string{}
	for pkg, rec := range status {
		for _, f := range rec.files {
			owner["/"+f] = pkg
		}
	}
	sawSQLite := false
	for name, h := range files {
		if h.Typeflag != tar.TypeReg || !strings.Contains(path.Base(name), ".so") || !(strings.HasPrefix(name, "/lib") || strings.HasPrefix(name, "/usr/lib")) {
			continue
		}
		pkg, ok := owner[name]
		if !ok {
			t.Errorf("%s is in no package's md5sums under /var/lib/dpkg/status.d", name)
			continue
		}
		if status[pkg].version == "" {
			t.Errorf("%s belongs to %s, whose record has no Version", name, pkg)
		}
		sawSQLite = sawSQLite || pkg == "libsqlite3-0"
	}
	if !sawSQLite {
		t.Error("no shared object of libsqlite3-0 in the image")
	}
	for _, tool := range []string{"/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/bin/dpkg-deb", "/bin/sh", "/usr/bin/sh", "/bin/dash", "/usr/bin/dash"} {
		if files[tool] != nil {
			t.Errorf("the image has %s", tool)
		}
	}
	if files["/usr/include/sqlite3.h"] != nil {
		t.Error("build.packages (libsqlite3-dev) reached the final image")
	}

	// It runs: the binary finds libsqlite3 in the image and answers with it.
	port := freePort(t)
	r := runImage(t, img, "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, err := waitHTTP(ctx, r, fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatalf("the image's server did not answer: %v", err)
	}
	var got struct {
		Answer int    `json:"answer"`
		SQLite string `json:"sqlite"`
		UID    int    `json:"uid"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	if got.Answer != 42 || got.SQLite == "" || got.UID != 65532 {
		t.Errorf("server answered %s, want 42 from SQLite as uid 65532", body)
	}
	if !strings.HasPrefix(version[1], got.SQLite) {
		t.Errorf("the server runs SQLite %s, the recorded package is %s", got.SQLite, version[1])
	}
}

// TestRuntimeLibsUnknownPackage: a package Debian does not have fails the build at its entry
// in the spec, with apt's own words. The spec is language static, which has no builder image, so
// the stage runs on docker.io/library/debian:trixie.
func TestRuntimeLibsUnknownPackage(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := t.TempDir()
	spec := "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: static\nartifacts: [./tool]\nruntime:\n  libs: [libsqlite3-0, libnosuchthing9]\n"
	writeFile(t, filepath.Join(dir, "hardened.yaml"), spec)
	writeFile(t, filepath.Join(dir, "tool"), "not run\n")
	log := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain", dir))
	for _, want := range []string{
		"docker.io/library/debian:trixie@sha256:",
		`hardened.yaml:5:24: runtime.libs[1]: Debian has no package "libnosuchthing9"`,
		"Unable to locate package libnosuchthing9",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(log, 30))
		}
	}
	assertNoGoStack(t, log)
}

// packageRecord is what /var/lib/dpkg/status.d says of one package.
type packageRecord struct {
	version string
	files   []string // from <package>.md5sums, without the leading /
}

// packageRecords reads every package record of the image's status.d.
func packageRecords(t *testing.T, img v1.Image, files map[string]*tar.Header) map[string]packageRecord {
	t.Helper()
	const dir = "/var/lib/dpkg/status.d/"
	out := map[string]packageRecord{}
	for name, h := range files {
		if !strings.HasPrefix(name, dir) || h.Typeflag != tar.TypeReg {
			continue
		}
		pkg := strings.TrimPrefix(name, dir)
		dt := readFile(t, img, name)
		if md5, ok := strings.CutSuffix(pkg, ".md5sums"); ok {
			rec := out[md5]
			sc := bufio.NewScanner(bytes.NewReader(dt))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 2 {
					rec.files = append(rec.files, f[1])
				}
			}
			out[md5] = rec
			continue
		}
		rec := out[pkg]
		if m := regexp.MustCompile(`(?m)^Version: (\S+)$`).FindSubmatch(dt); m != nil {
			rec.version = string(m[1])
		}
		out[pkg] = rec
	}
	return out
}
