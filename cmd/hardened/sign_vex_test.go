package main

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dpkgLayer is a layer whose dpkg status lists the packages.
func dpkgLayer(t *testing.T, pkgs ...string) mutate.Addendum {
	t.Helper()
	var status strings.Builder
	for _, p := range pkgs {
		status.WriteString("Package: " + p + "\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "var/lib/dpkg/status", Mode: 0o644, Size: int64(status.Len()), Typeflag: tar.TypeReg})
	tw.Write([]byte(status.String()))
	tw.Close()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	return mutate.Addendum{Layer: l}
}

// TestSignVEX: --vex signs the ignore file's vulnerabilities as OpenVEX held to the image's
// packages: a builder-only package is proven not present and signed; a component_not_present
// claim about a package the image has, an expired statement or a file with no statements
// stops the signing before anything is written.
func TestSignVEX(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/team/app")
	img, err := mutate.Append(userImage(t, "65532"), dpkgLayer(t, "libc6", "tzdata"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ref := repo.Tag("1")
	pushWithReport(t, ref, img, reportOf(t, repo, img, day))
	priv, _ := writeKeys(t, t.TempDir())
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	good := write("good.yaml", "vulnerabilities:\n  - id: CVE-2024-0002\n    package: gcc-14\n    reason: builder only\n")
	var out, errb bytes.Buffer
	if code := run([]string{"sign", ref.String(), "--key", priv, "--vex", good, "--vex-author", "team@example.com"}, &out, &errb); code != exitPass {
		t.Fatalf("sign --vex: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "https://openvex.dev/ns/v0.2.0 attestation (bundle)") {
		t.Fatalf("no VEX signed:\n%s", out.String())
	}
	cases := map[string]struct{ file, want string }{
		"present": {write("present.yaml", "vulnerabilities:\n  - id: CVE-2024-0003\n    package: tzdata\n    justification: component_not_present\n    reason: wrong\n"),
			"present.yaml:2: tzdata is in the image, so CVE-2024-0003 is not component_not_present"},
		"expired": {write("expired.yaml", "vulnerabilities:\n  - id: CVE-2020-0001\n    package: libc6\n    justification: vulnerable_code_not_present\n    reason: old\n    expires: 2020-01-01\n"),
			"expired on 2020-01-01"},
		"empty":   {write("empty.yaml", "waivers: []\n"), "no vulnerabilities: list"},
		"bad":     {write("bad.yaml", "vulnerabilities:\n  - id: CVE-1\n"), "bad.yaml:2:5: vulnerabilities[0]: a vulnerability statement needs a package"},
		"missing": {filepath.Join(dir, "none.yaml"), "none.yaml: no such file"},
	}
	for what, c := range cases {
		out.Reset()
		errb.Reset()
		code := run([]string{"sign", ref.String(), "--key", priv, "--vex", c.file}, &out, &errb)
		if code == exitPass || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("%s: %d, wrote %q, said %q; want %q", what, code, out.String(), errb.String(), c.want)
		}
	}
}
