package vulns_test

import (
	"testing"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/hardenedbuild/hardened/audit/vulns"
)

// TestApplyVEX: a statement applies to the image it names by digest, to the package it names by
// name or purl (and the purl's version), and the latest statement about a finding decides.
func TestApplyVEX(t *testing.T) {
	const digest = "sha256:aaaa"
	at := func(day int) *time.Time { d := time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC); return &d }
	stmt := func(id, product, sub string, status vex.Status, day int) vex.Statement {
		p := vex.Product{Component: vex.Component{ID: product}}
		if sub != "" {
			p.Subcomponents = []vex.Subcomponent{{Component: vex.Component{ID: sub}}}
		}
		return vex.Statement{Vulnerability: vex.Vulnerability{Name: vex.VulnerabilityID(id)}, Products: []vex.Product{p}, Status: status, Timestamp: at(day)}
	}
	oci := "pkg:oci/app@sha256%3Aaaaa?repository_url=registry.internal/team/app"
	docs := []*vex.VEX{
		{Statements: []vex.Statement{
			stmt("CVE-1", oci, "libc6", vex.StatusNotAffected, 1),
			stmt("CVE-2", digest, "pkg:deb/debian/libssl3@3.0.15-1", vex.StatusFixed, 1),
			stmt("CVE-3", digest, "pkg:deb/debian/zlib1g@9.9", vex.StatusNotAffected, 1),
			stmt("CVE-4", "pkg:oci/app@sha256%3Abbbb", "tzdata", vex.StatusNotAffected, 1),
			stmt("CVE-5", digest, "", vex.StatusNotAffected, 1),
			stmt("CVE-6", digest, "gcc-14", vex.StatusNotAffected, 1),
		}},
		// A later document takes CVE-6 back, and an earlier one cannot take CVE-5 back.
		{Statements: []vex.Statement{stmt("CVE-6", digest, "gcc-14", vex.StatusAffected, 2), stmt("CVE-5", digest, "", vex.StatusUnderInvestigation, 0)}},
	}
	findings := []vulns.Finding{
		{ID: "CVE-1", Package: "libc6", Version: "2.36", Severity: "HIGH"},
		{ID: "CVE-1", Package: "libc-bin", Version: "2.36", Severity: "HIGH"}, // another package
		{ID: "CVE-2", Package: "libssl3", Version: "3.0.15-1", Severity: "HIGH"},
		{ID: "CVE-3", Package: "zlib1g", Version: "1.3", Severity: "LOW"}, // the purl's version differs
		{ID: "CVE-4", Package: "tzdata", Version: "1", Severity: "LOW"},   // another image
		{ID: "CVE-5", Package: "anything", Version: "1", Severity: "LOW"}, // the whole image
		{ID: "CVE-6", Package: "gcc-14", Version: "14", Severity: "LOW"},
	}
	kept, applied := vulns.ApplyVEX(findings, digest, docs)
	var got []string
	for _, a := range applied {
		got = append(got, a.ID+"/"+a.Package)
	}
	want := []string{"CVE-1/libc6", "CVE-2/libssl3", "CVE-5/anything"}
	if len(got) != len(want) || len(kept) != len(findings)-len(want) {
		t.Fatalf("applied %v, want %v; kept %v", got, want, kept)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("applied %v, want %v", got, want)
		}
	}
}
