package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/openvex/go-vex/pkg/vex"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/sbom"
	"github.com/hardenedbuild/hardened/sign"
)

// TestSignVEXFromScan: --vex-scan takes a Trivy or Grype report of the builder (ids and
// packages only) and signs, as not_affected / component_not_present, exactly the findings in
// packages the builder stage's SBOM lists and the image's package database lacks: gcc-14 and
// linux-libc-dev, not libc6 (in the image), openssl (in neither) or Go's stdlib (not a package
// of the builder's SBOM). A statement the ignore file makes wins over the derived one; an
// image without a builder SBOM is refused with nothing signed.
func TestSignVEXFromScan(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := mutate.Append(userImage(t, "65532"), dpkgLayer(t, "libc6", "tzdata"))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	deb := func(n, v string) sbom.Package {
		return sbom.Package{Name: n, Version: v, PURL: "pkg:deb/debian/" + n + "@" + v + "?arch=amd64&distro=debian-13", Location: "/var/lib/dpkg/status"}
	}
	imageDoc, _ := sbom.SPDX("image", day, []sbom.Package{deb("libc6", "2.41-12"), deb("tzdata", "2025b-4")})
	builderDoc, _ := sbom.SPDX("builder", day, []sbom.Package{deb("gcc-14", "14.2.0-19"), deb("libc6", "2.41-12"), deb("linux-libc-dev", "6.12.57-1")})
	push := func(repoName string, sboms bool) name.Reference {
		repo, _ := name.NewRepository(host + "/" + repoName)
		ref := repo.Tag("1")
		pushWithReport(t, ref, img, reportOf(t, repo, img, day))
		if sboms {
			addAttestation(t, ref, img, audit.PredicateSPDX, imageDoc)
			addAttestation(t, ref, img, audit.PredicateSPDX, builderDoc)
		}
		return ref
	}
	dir := t.TempDir()
	priv, pub := writeKeys(t, dir)
	pubKey, err := sign.LoadPublicKey(pub, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ignore := filepath.Join(dir, "ignore.yaml")
	os.WriteFile(ignore, []byte("vulnerabilities:\n  - id: CVE-2025-1001\n    package: gcc-14\n    justification: vulnerable_code_not_in_execute_path\n    reason: the team's own words\n"), 0o644)
	signed := func(ref name.Reference) []string {
		t.Helper()
		desc, err := remote.Head(ref)
		if err != nil {
			t.Fatal(err)
		}
		found, err := sign.FindStatements(context.Background(), ref.Context(), desc.Digest.String(), d.String(), "https://openvex.dev/ns", pubKey)
		if err != nil || len(found) != 1 || !found[0].Signed {
			t.Fatalf("the signed VEX: %v %+v", err, found)
		}
		var st struct{ Predicate json.RawMessage }
		json.Unmarshal(found[0].Statement, &st)
		doc, err := vex.Parse(st.Predicate)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range doc.Statements {
			out = append(out, string(s.Vulnerability.Name)+" "+s.Products[0].Subcomponents[0].ID+" "+string(s.Status)+" "+string(s.Justification)+": "+s.ImpactStatement)
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct {
		fixture string
		args    []string
		want    []string
	}{
		{"builder-trivy.json", nil, []string{
			"CVE-2025-1001 gcc-14 not_affected component_not_present: gcc-14 14.2.0-19 is in the builder stage's SBOM only; the image's package database lists no gcc-14",
			"CVE-2025-1003 linux-libc-dev not_affected component_not_present: linux-libc-dev 6.12.57-1 is in the builder stage's SBOM only; the image's package database lists no linux-libc-dev"}},
		{"builder-grype.json", nil, []string{
			"CVE-2025-1001 gcc-14 not_affected component_not_present: gcc-14 14.2.0-19 is in the builder stage's SBOM only; the image's package database lists no gcc-14",
			"CVE-2025-1003 linux-libc-dev not_affected component_not_present: linux-libc-dev 6.12.57-1 is in the builder stage's SBOM only; the image's package database lists no linux-libc-dev"}},
		{"builder-trivy.json", []string{"--vex", ignore}, []string{
			"CVE-2025-1001 gcc-14 not_affected vulnerable_code_not_in_execute_path: the team's own words",
			"CVE-2025-1003 linux-libc-dev not_affected component_not_present: linux-libc-dev 6.12.57-1 is in the builder stage's SBOM only; the image's package database lists no linux-libc-dev"}},
	} {
		t.Run(c.fixture+strings.Join(c.args, ""), func(t *testing.T) {
			ref := push(strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), true)
			scan, _ := filepath.Abs("../../audit/vulns/testdata/" + c.fixture)
			var out, errb bytes.Buffer
			args := append([]string{"sign", ref.String(), "--key", priv, "--vex-scan", scan}, c.args...)
			if code := run(args, &out, &errb); code != exitPass {
				t.Fatalf("sign: %d %s", code, errb.String())
			}
			got := signed(ref)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("signed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"results": []}`), 0o644)
	noSBOM := push("nosbom", false)
	for what, c := range map[string]struct {
		ref, scan, want string
	}{
		"no builder SBOM": {noSBOM.String(), "../../audit/vulns/testdata/builder-trivy.json", "image " + d.String() + " carries no builder-stage SBOM"},
		"not a report":    {noSBOM.String(), bad, "--vex-scan " + bad + ": reading the scan report: neither trivy's JSON"},
		"no file":         {noSBOM.String(), filepath.Join(dir, "none.json"), "--vex-scan: open " + dir},
	} {
		var out, errb bytes.Buffer
		code := run([]string{"sign", c.ref, "--key", priv, "--vex-scan", c.scan}, &out, &errb)
		if code == exitPass || out.Len() != 0 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s: %d, wrote %q, said %q; want %q", what, code, out.String(), errb.String(), c.want)
		}
	}
}
