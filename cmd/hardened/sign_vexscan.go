package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/vulns"
	"github.com/hardenedbuild/hardened/sign"
)

// builderSBOMName is the name the frontend gives the builder stage's SPDX document
// (frontend/sbom.go), attached beside the image's own.
const builderSBOMName = "builder"

// scanRefs reads a Trivy or Grype JSON report for its vulnerability ids and packages only.
func scanRefs(file string) ([]audit.VulnRef, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--vex-scan: %v", err)
	}
	fs, _, err := vulns.ParseReport(data)
	if err != nil {
		return nil, fmt.Errorf("--vex-scan %s: %v", file, err)
	}
	refs := make([]audit.VulnRef, 0, len(fs))
	for _, f := range fs {
		refs = append(refs, audit.VulnRef{ID: f.ID, Package: f.Package})
	}
	return refs, nil
}

// builderOnly proves, from the builder stage's SBOM attached to the image and the image's
// packages, the scan's findings in packages only the builder had; a finding the ignore file
// already speaks of is left to it.
func builderOnly(p *sign.Plan, digest string, refs []audit.VulnRef, pkgs []string, scanFile string, stmts []audit.VulnStatement) ([]audit.VulnStatement, error) {
	builder, ok := builderPackages(p, digest)
	if !ok {
		return nil, fmt.Errorf("--vex-scan: image %s carries no builder-stage SBOM (an SPDX attestation named %q); build it with --sbom=true, which attaches the frontend's own SBOMs, and push the whole index", digest, builderSBOMName)
	}
	said := map[audit.VulnRef]bool{}
	for _, s := range stmts {
		said[audit.VulnRef{ID: s.ID, Package: s.Package}] = true
	}
	var left []audit.VulnRef
	for _, r := range refs {
		if !said[r] {
			left = append(left, r)
		}
	}
	return audit.BuilderOnly(left, builder, pkgs, scanFile), nil
}

// builderPackages reads the builder stage's SPDX document among the image's attestations:
// package name to version.
func builderPackages(p *sign.Plan, digest string) (map[string]string, bool) {
	for _, a := range p.Attestations {
		if a.Subject != digest || a.PredicateType != audit.PredicateSPDX {
			continue
		}
		var st struct {
			Predicate struct {
				Name     string `json:"name"`
				Packages []struct {
					Name    string `json:"name"`
					Version string `json:"versionInfo"`
				} `json:"packages"`
			} `json:"predicate"`
		}
		if json.Unmarshal(a.Statement, &st) != nil || st.Predicate.Name != builderSBOMName {
			continue
		}
		out := map[string]string{}
		for _, pkg := range st.Predicate.Packages {
			out[pkg.Name] = pkg.Version
		}
		return out, true
	}
	return nil, false
}
