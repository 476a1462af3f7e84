package vulns

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
)

// Applied is a finding a VEX statement takes out of the counts, with the statement and the
// document that holds it, so a report can say who ruled it out and why.
type Applied struct {
	Finding
	Status        vex.Status
	Justification vex.Justification
	Statement     *vex.Statement
	Document      *vex.VEX
}

func (a Applied) String() string {
	s := fmt.Sprintf("%s in %s %s: %s", a.ID, a.Package, a.Version, a.Status)
	if a.Justification != "" {
		s += " (" + string(a.Justification) + ")"
	}
	return s
}

// ApplyVEX drops the findings that the documents' effective statement about the image (by
// manifest digest) marks not_affected or fixed; the latest matching statement wins, so a later
// affected or under_investigation keeps the finding. The caller passes only documents whose
// signature it verified.
func ApplyVEX(findings []Finding, digest string, docs []*vex.VEX) (kept []Finding, applied []Applied) {
	for _, f := range findings {
		st, doc := effective(f, digest, docs)
		if st != nil && (st.Status == vex.StatusNotAffected || st.Status == vex.StatusFixed) {
			applied = append(applied, Applied{Finding: f, Status: st.Status, Justification: st.Justification, Statement: st, Document: doc})
			continue
		}
		kept = append(kept, f)
	}
	return kept, applied
}

// effective is the latest statement of any document about the finding in the image, and its document.
func effective(f Finding, digest string, docs []*vex.VEX) (*vex.Statement, *vex.VEX) {
	var best *vex.Statement
	var bestDoc *vex.VEX
	var bestAt time.Time
	for _, d := range docs {
		for i := range d.Statements {
			st := &d.Statements[i]
			if !st.Vulnerability.Matches(f.ID) || !aboutImage(st, digest, f) {
				continue
			}
			at := stamp(st, d)
			if best == nil || !at.Before(bestAt) {
				best, bestDoc, bestAt = st, d, at
			}
		}
	}
	return best, bestDoc
}

func stamp(st *vex.Statement, d *vex.VEX) time.Time {
	switch {
	case st.Timestamp != nil:
		return *st.Timestamp
	case d.Timestamp != nil:
		return *d.Timestamp
	}
	return time.Time{}
}

// aboutImage says whether a statement names the image as product and, when it lists
// subcomponents, the finding's package among them.
func aboutImage(st *vex.Statement, digest string, f Finding) bool {
	for _, p := range st.Products {
		if !namesDigest(p.Component, digest) {
			continue
		}
		if len(p.Subcomponents) == 0 {
			return true
		}
		for _, sc := range p.Subcomponents {
			if namesPackage(sc.Component, f) {
				return true
			}
		}
	}
	return false
}

// namesDigest: the product is the image by digest, as an @id, an identifier, a sha-256 hash
// or the version of an oci purl (pkg:oci/NAME@sha256%3AHEX, what hardened sign writes).
func namesDigest(c vex.Component, digest string) bool {
	if c.Matches(digest) || string(c.Hashes[vex.SHA256]) == strings.TrimPrefix(digest, "sha256:") {
		return true
	}
	ids := []string{c.ID}
	for _, id := range c.Identifiers {
		ids = append(ids, id)
	}
	for _, id := range ids {
		if typ, _, version, ok := purl(id); ok && typ == "oci" && version == digest {
			return true
		}
	}
	return false
}

// namesPackage: the subcomponent is the finding's package by name, or a purl of that name
// (and, when the purl has one, that version).
func namesPackage(c vex.Component, f Finding) bool {
	if c.ID == f.Package {
		return true
	}
	typ, name, version, ok := purl(c.ID)
	if !ok {
		return false
	}
	if typ != "golang" {
		name = name[strings.LastIndex(name, "/")+1:]
	}
	return name == f.Package && (version == "" || version == f.Version)
}

// purl splits pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS#SUBPATH into its type, its
// namespace and name (one path, unescaped) and its version (unescaped).
func purl(s string) (typ, name, version string, ok bool) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return "", "", "", false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	typ, rest, ok = strings.Cut(rest, "/")
	if !ok || typ == "" {
		return "", "", "", false
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil {
			return "", "", "", false
		}
		rest, version = rest[:i], v
	}
	name, err := url.PathUnescape(rest)
	return strings.ToLower(typ), name, version, err == nil && name != ""
}
