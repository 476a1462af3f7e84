//go:build integration

package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSignVEXScanE2E: on a real build of examples/go with --sbom=true, the builder stage's SBOM
// rides with the image, so hardened sign --vex-scan proves from it that a Trivy report's
// findings in gcc-14 and linux-libc-dev (builder only) do not affect the image, and nothing
// about tzdata (in the image) or Go's stdlib (no package of the builder SBOM). hardened check
// --vulns with the signing key leaves those two out of the counts; with another key it ignores
// the VEX. Signing twice adds nothing to the legacy tags.
func TestSignVEXScanE2E(t *testing.T) {
	t.Parallel() // its own repository and keys
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	hardened := hardenedBinary(t)
	keys, other := t.TempDir(), t.TempDir()
	key, pub := writeKeyPair(t, keys)
	_, otherPub := writeKeyPair(t, other)

	dir := copyExample(t, "go")
	ref := fmt.Sprintf("%s/sign-e2e/vexscan-%d:1", st.Registry, time.Now().UnixNano())
	build(t, st.Buildx(ctx, "build", "--provenance=true", "--sbom=true", "-f", filepath.Join(dir, "hardened.yaml"),
		"-o", "type=image,name="+ref+",push=true,registry.insecure=true", dir))

	scan := filepath.Join(t.TempDir(), "builder-trivy.json")
	writeFile(t, scan, `{"SchemaVersion": 2, "ArtifactName": "golang", "Results": [
 {"Target": "golang (debian 13)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
  {"VulnerabilityID": "CVE-2025-1001", "PkgName": "gcc-14", "InstalledVersion": "14", "Severity": "HIGH"},
  {"VulnerabilityID": "CVE-2025-1003", "PkgName": "linux-libc-dev", "InstalledVersion": "6", "Severity": "CRITICAL"},
  {"VulnerabilityID": "CVE-2025-1006", "PkgName": "tzdata", "InstalledVersion": "2025", "Severity": "HIGH"}]},
 {"Target": "usr/local/go/bin/go", "Class": "lang-pkgs", "Type": "gobinary", "Vulnerabilities": [
  {"VulnerabilityID": "CVE-2025-1005", "PkgName": "stdlib", "InstalledVersion": "v1.25.4", "Severity": "HIGH"}]}]}`)
	out := signRun(t, ctx, keys, hardened, "sign", ref, "--key", key, "--vex-scan", scan)
	if !strings.Contains(out, "https://openvex.dev/ns/v0.2.0 attestation (bundle)") {
		t.Fatalf("no VEX signed:\n%s", out)
	}
	again := signRun(t, ctx, keys, hardened, "sign", ref, "--key", key)
	if n := strings.Count(again, "(already held)"); n < 3 {
		t.Errorf("signing again appended to the legacy tags (%d held):\n%s", n, again)
	}

	// The scanner is a stand-in printing the same report for the image.
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "trivy"), "#!/bin/sh\ncat "+scan+"\n")
	if err := os.Chmod(filepath.Join(bin, "trivy"), 0o755); err != nil {
		t.Fatal(err)
	}
	check := func(pubKey string) string {
		cmd := exec.CommandContext(ctx, hardened, "check", "--vulns", "--key", pubKey, "--fail-on", "none", ref)
		cmd.Env = append(signEnv(), "PATH="+bin+":"+os.Getenv("PATH"))
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("hardened check: %v\n%s", err, tail(string(got), 30))
		}
		return string(got)
	}
	got := check(pub)
	for _, want := range []string{"CVE-2025-1001 in gcc-14 14: not_affected (component_not_present)", "CVE-2025-1003 in linux-libc-dev 6: not_affected (component_not_present)",
		"2 CVEs (0 Critical, 2 High, 0 Medium, 0 Low, 0 Unknown; trivy)"} {
		if !strings.Contains(got, want) {
			t.Errorf("check --vulns --key: no %q in\n%s", want, tail(got, 40))
		}
	}
	if strings.Contains(got, "CVE-2025-1006 in tzdata") || strings.Contains(got, "CVE-2025-1005 in stdlib") {
		t.Errorf("check --vulns --key left out tzdata or stdlib:\n%s", tail(got, 40))
	}
	if got := check(otherPub); !strings.Contains(got, "ignored the VEX document") || !strings.Contains(got, "4 CVEs (1 Critical, 3 High") {
		t.Errorf("check --vulns with another key:\n%s", tail(got, 40))
	}

	// The JSON report records what the VEX left out, and on whose word, for an auditor.
	cmd := exec.CommandContext(ctx, hardened, "check", "--vulns", "--key", pub, "--fail-on", "none", "--format", "json", ref)
	cmd.Env = append(signEnv(), "PATH="+bin+":"+os.Getenv("PATH"))
	report, err := cmd.Output()
	if err != nil {
		t.Fatalf("hardened check --format json: %v", err)
	}
	var r struct {
		Vulnerabilities struct {
			High int
			VEX  struct {
				Key        string
				Suppressed []struct{ ID, Package, Status, Justification, ImpactStatement, Document, Author, Where string }
			}
		}
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("the JSON report: %v\n%.500s", err, report)
	}
	got = ""
	for _, s := range r.Vulnerabilities.VEX.Suppressed {
		if s.Status != "not_affected" || !strings.HasPrefix(s.Document, "https://openvex.dev/docs/") || s.Author != "hardened sign" || s.Where == "" ||
			!strings.Contains(s.ImpactStatement, "builder") {
			t.Errorf("vex.suppressed entry %+v: want not_affected, the document's id, author and place, the impact statement", s)
		}
		got += s.ID + " " + s.Package + " " + s.Justification + "; "
	}
	want := "CVE-2025-1001 gcc-14 component_not_present; CVE-2025-1003 linux-libc-dev component_not_present; "
	if got != want || !strings.HasPrefix(r.Vulnerabilities.VEX.Key, "sha256:") || r.Vulnerabilities.High != 2 {
		t.Errorf("the report's vulnerabilities.vex: key %q, suppressed %q, want %q", r.Vulnerabilities.VEX.Key, got, want)
	}
}

// writeKeyPair writes a PKCS#8 ECDSA P-256 key and its public key, as openssl would.
func writeKeyPair(t *testing.T, dir string) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	writeFile(t, priv, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	writeFile(t, pub, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	return priv, pub
}
