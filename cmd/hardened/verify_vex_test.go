package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
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
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/sign"
)

// addAttestation appends an in-toto statement to the attestation manifest of ref's index, as
// a tool that pushes without signing would.
func addAttestation(t *testing.T, ref name.Reference, img v1.Image, predicateType string, predicate []byte) {
	t.Helper()
	d, _ := img.Digest()
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	st, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": predicateType,
		"predicate": json.RawMessage(predicate), "subject": []any{map[string]any{"name": "pkg:docker/app", "digest": map[string]string{"sha256": d.Hex}}}})
	attDesc := im.Manifests[1]
	att, err := idx.Image(attDesc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	att, err = mutate.Append(att, mutate.Addendum{Layer: static.NewLayer(st, "application/vnd.in-toto+json"), MediaType: "application/vnd.in-toto+json",
		Annotations: map[string]string{"in-toto.io/predicate-type": predicateType}})
	if err != nil {
		t.Fatal(err)
	}
	out := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: im.Manifests[0].Platform}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: attDesc.Platform, Annotations: attDesc.Annotations}})
	if err := remote.WriteIndex(ref, out); err != nil {
		t.Fatal(err)
	}
}

// TestCheckVulnsSignedVEX: --vulns leaves out of the counts only what a VEX signed with --key
// rules out. The image carries a VEX hardened sign --vex signed (libc6 not in the execute
// path, tzdata not present) and an unsigned one in its index (libssl3); the scanner is a
// stand-in printing a Trivy report. With the signing key two findings go; with another key,
// or none, nothing does, and each ignored document is named.
func TestCheckVulnsSignedVEX(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	defer srv.Close()
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/team/app")
	img, err := mutate.Append(userImage(t, "65532"), dpkgLayer(t, "libc6", "libssl3"))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	ref := repo.Tag("1")
	pushWithReport(t, ref, img, reportOf(t, repo, img, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)))
	unsigned, _ := json.Marshal(map[string]any{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "someone", "version": 1,
		"timestamp": "2026-11-02T00:00:00Z", "statements": []any{map[string]any{"vulnerability": map[string]any{"name": "CVE-2024-0002"},
			"products": []any{map[string]any{"@id": d.String()}}, "status": "not_affected", "justification": "component_not_present"}}})

	dir := t.TempDir()
	priv, pub := writeKeys(t, dir)
	_, otherPub := writeKeys(t, t.TempDir())
	ignore := filepath.Join(dir, "ignore.yaml")
	os.WriteFile(ignore, []byte("vulnerabilities:\n  - id: CVE-2024-0001\n    package: libc6\n    justification: vulnerable_code_not_in_execute_path\n    reason: no locale code runs\n"+
		"  - id: CVE-2024-0004\n    package: tzdata\n    reason: builder only\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"sign", ref.String(), "--key", priv, "--vex", ignore}, &out, &errb); code != exitPass {
		t.Fatalf("sign --vex: %d %s", code, errb.String())
	}
	// Pushed after signing, by anyone who can write to the repository.
	addAttestation(t, ref, img, "https://openvex.dev/ns/v0.2.0", unsigned)

	bin := t.TempDir()
	fixture, _ := filepath.Abs("../../audit/vulns/testdata/trivy.json")
	os.WriteFile(filepath.Join(bin, "trivy"), []byte("#!/bin/sh\ncat "+fixture+"\n"), 0o755)
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	check := func(args ...string) (audit.Vulnerabilities, string) {
		t.Helper()
		out.Reset()
		errb.Reset()
		code := run(append([]string{"check", "--vulns", "--format", "json", ref.String()}, args...), &out, &errb)
		var r audit.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Vulnerabilities == nil || code > exitFail {
			t.Fatalf("check %v: %d %v\n%s", args, code, err, errb.String())
		}
		return *r.Vulnerabilities, errb.String()
	}
	all := audit.Vulnerabilities{Scanner: "trivy", Critical: 1, High: 2, Medium: 1, Low: 1, Unknown: 1}
	at := repo.Digest(d.String()).String()

	v, msg := check("--key", pub)
	applied := v.VEX
	v.VEX = nil
	if want := (audit.Vulnerabilities{Scanner: "trivy", High: 2, Medium: 1, Unknown: 1}); v != want {
		t.Errorf("with the signing key: %+v, want %+v\n%s", v, want, msg)
	}
	assertVEXRecord(t, applied, pub)
	for _, want := range []string{
		"--vulns: CVE-2024-0001 in libc6 2.36-9+deb12u8: not_affected (vulnerable_code_not_in_execute_path) by the VEX signed with " + pub,
		"--vulns: CVE-2024-0004 in tzdata 2024b-0+deb12u1: not_affected (component_not_present) by the VEX signed with " + pub,
		"--vulns: ignored the VEX document in the index of " + at + ": no signature on it verifies with " + pub,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("with the signing key, no line %q:\n%s", want, msg)
		}
	}

	v, msg = check("--key", otherPub)
	// Another key: the report says VEX was read with that key and nothing was left out.
	if v.VEX == nil || len(v.VEX.Suppressed) != 0 || v.VEX.Key == applied.Key {
		t.Errorf("with another key, the report's vex: %+v", v.VEX)
	}
	v.VEX = nil
	if v != all || strings.Count(msg, "ignored the VEX document") != 2 || !strings.Contains(msg, "in the .att tag of "+at+": no signature on it verifies with "+otherPub) {
		t.Errorf("with another key: %+v\n%s", v, msg)
	}
	v, msg = check()
	if v != all || strings.Count(msg, "pass --key with the public key that signed it") != 2 {
		t.Errorf("without a key: %+v\n%s", v, msg)
	}

	// The same image in an OCI layout has no signatures beside it: --key says so.
	lp, err := layout.Write(filepath.Join(t.TempDir(), "oci"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	lp.AppendImage(img)
	out.Reset()
	errb.Reset()
	if code := run([]string{"check", "--vulns", "--key", pub, string(lp)}, &out, &errb); code > exitFail || !strings.Contains(errb.String(), "is a oci layout, so no VEX applies") {
		t.Errorf("a layout: %d\n%s", code, errb.String())
	}

	for what, c := range map[string]struct {
		args []string
		want string
	}{
		"no --vulns": {[]string{"check", "--key", pub, ref.String()}, "--key verifies the VEX --vulns applies; add --vulns"},
		"a bad key":  {[]string{"check", "--vulns", "--key", priv, ref.String()}, "--key: key " + priv + ": not a PEM public key"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(c.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%s: %d %q, want %q", what, code, errb.String(), c.want)
		}
	}
}

// assertVEXRecord wants the report to name each finding the signed VEX left out, with the
// statement's justification and impact statement, the document's id, author and place, and
// the key's fingerprint, so an auditor sees what was suppressed and why.
func assertVEXRecord(t *testing.T, rec *audit.VEXApplied, pubFile string) {
	t.Helper()
	if rec == nil {
		t.Fatal("the report records no VEX though --key was given")
	}
	pub, err := sign.LoadPublicKey(pubFile, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	if sum := sha256.Sum256(der); rec.Key != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("vex.key %q is not the SHA-256 of the public key", rec.Key)
	}
	if len(rec.Suppressed) != 2 {
		t.Fatalf("vex.suppressed: %+v, want the libc6 and tzdata findings", rec.Suppressed)
	}
	libc, tz := rec.Suppressed[0], rec.Suppressed[1]
	if libc.ID != "CVE-2024-0001" || libc.Package != "libc6" || libc.Version != "2.36-9+deb12u8" || libc.Severity != "CRITICAL" ||
		libc.Status != "not_affected" || libc.Justification != "vulnerable_code_not_in_execute_path" || libc.ImpactStatement != "no locale code runs" {
		t.Errorf("the libc6 entry: %+v", libc)
	}
	if tz.ID != "CVE-2024-0004" || tz.Package != "tzdata" || tz.Justification != "component_not_present" || tz.ImpactStatement != "builder only" {
		t.Errorf("the tzdata entry: %+v", tz)
	}
	for _, s := range rec.Suppressed {
		if !strings.HasPrefix(s.Document, "https://openvex.dev/docs/") || s.Author != "hardened sign" || s.Timestamp == "" ||
			(s.Where != "the .att tag" && s.Where != "a referrer") {
			t.Errorf("%s: document %q, author %q, timestamp %q, where %q", s.ID, s.Document, s.Author, s.Timestamp, s.Where)
		}
	}
}
