package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
	"go.yaml.in/yaml/v3"
)

// PredicateOpenVEX is the in-toto predicate type of an OpenVEX document.
const PredicateOpenVEX = "https://openvex.dev/ns/v0.2.0"

// VulnStatement is an ignore file's vulnerabilities entry: the image is not affected by a
// vulnerability of a package, for an OpenVEX justification and a reason, until a date.
type VulnStatement struct {
	ID      string
	Package string
	// Justification is an OpenVEX not_affected justification; empty means component_not_present,
	// which only holds, and is only written, when the image has no such package.
	Justification string
	Reason        string
	Expires       time.Time
	Source        string
}

// vexJustifications are OpenVEX's justifications for not_affected.
var vexJustifications = []string{
	string(vex.ComponentNotPresent), string(vex.VulnerableCodeNotPresent), string(vex.VulnerableCodeNotInExecutePath),
	string(vex.VulnerableCodeCannotBeControlledByAdversary), string(vex.InlineMitigationsAlreadyExist),
}

// vulnID is what a vulnerability id looks like: CVE-2024-1234, GHSA-xxxx-xxxx-xxxx, DSA-5000-1, ...
var vulnID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9.:_-]*$`)

// parseVulnStatement reads one vulnerabilities entry, reporting its problems.
func parseVulnStatement(name string, item *yaml.Node, field string, problem func(*yaml.Node, string, ...any)) VulnStatement {
	s := VulnStatement{Source: fmt.Sprintf("%s:%d", name, item.Line)}
	if item.Kind != yaml.MappingNode {
		problem(item, "%s: want a mapping with id, package, reason and optionally justification and expires", field)
		return s
	}
	for j := 0; j+1 < len(item.Content); j += 2 {
		k, v := item.Content[j], item.Content[j+1]
		if v.Kind != yaml.ScalarNode {
			problem(v, "%s.%s: want a string", field, k.Value)
			continue
		}
		switch k.Value {
		case "id":
			s.ID = v.Value
			if !vulnID.MatchString(v.Value) {
				problem(v, "%s.id: %q is not a vulnerability id; write one like CVE-2024-1234 or GHSA-xxxx-xxxx-xxxx", field, v.Value)
			}
		case "package":
			s.Package = v.Value
		case "justification":
			s.Justification = v.Value
			if !contains(vexJustifications, v.Value) {
				problem(v, "%s.justification: %q is not an OpenVEX justification; write one of %s", field, v.Value, strings.Join(vexJustifications, ", "))
			}
		case "reason":
			s.Reason = strings.TrimSpace(v.Value)
		case "expires":
			s.Expires = parseExpiry(v, field, problem)
		default:
			problem(k, "%s: unknown field %q; a vulnerability has id, package, justification, reason and expires", field, k.Value)
		}
	}
	for _, need := range []struct{ v, what string }{{s.ID, "an id"}, {s.Package, "a package"}, {s.Reason, "a reason"}} {
		if need.v == "" {
			problem(item, "%s: a vulnerability statement needs %s", field, need.what)
		}
	}
	return s
}

// InstalledPackages lists the packages the image's package database records (dpkg, status.d,
// apk), the evidence that a package is or is not in the image.
func InstalledPackages(ctx context.Context, t *Target) ([]string, error) {
	f, err := newFacts(ctx, t, &options{maxBytes: DefaultMaxBytes, maxLayers: DefaultMaxLayers})
	if err != nil {
		return nil, err
	}
	p := f.packages()
	if f.err != nil {
		return nil, f.err
	}
	return append([]string(nil), p.names...), nil
}

// VEXDocument writes the statements that hold for an image as an OpenVEX document about
// product (the image's purl or digest), as of now. The image's packages decide two things: a
// component_not_present statement (or one with no justification) about a package the image
// has is false, and is a problem; one about a package it lacks is proven, and written as
// component_not_present. An expired statement is a problem too: nothing is written for it.
func VEXDocument(product string, stmts []VulnStatement, packages []string, author string, now time.Time) ([]byte, []string, error) {
	have := map[string]bool{}
	for _, p := range packages {
		have[strings.SplitN(p, ":", 2)[0]] = true
	}
	doc := vex.New()
	ts := now.UTC()
	doc.Timestamp, doc.Author, doc.Tooling = &ts, author, "hardened sign --vex"
	var problems []string
	for _, s := range stmts {
		expired := !s.Expires.IsZero() && now.UTC().After(s.Expires.Add(24*time.Hour-time.Nanosecond))
		present := have[s.Package]
		switch {
		case expired:
			problems = append(problems, fmt.Sprintf("%s: the statement on %s in %s expired on %s; renew it or drop it", s.Source, s.ID, s.Package, s.Expires.Format(time.DateOnly)))
			continue
		case present && (s.Justification == "" || s.Justification == string(vex.ComponentNotPresent)):
			problems = append(problems, fmt.Sprintf("%s: %s is in the image, so %s is not component_not_present; give the justification that holds", s.Source, s.Package, s.ID))
			continue
		}
		j, notes := vex.Justification(s.Justification), ""
		if j == "" {
			j = vex.ComponentNotPresent
		}
		if !present {
			notes = "the image's package database lists no " + s.Package
		}
		doc.Statements = append(doc.Statements, vex.Statement{
			StatusNotes:     notes,
			Vulnerability:   vex.Vulnerability{Name: vex.VulnerabilityID(s.ID)},
			Products:        []vex.Product{{Component: vex.Component{ID: product}, Subcomponents: []vex.Subcomponent{{Component: vex.Component{ID: s.Package}}}}},
			Status:          vex.StatusNotAffected,
			Justification:   j,
			ImpactStatement: s.Reason,
			Timestamp:       &ts,
		})
	}
	sort.SliceStable(doc.Statements, func(i, k int) bool {
		return doc.Statements[i].Vulnerability.Name < doc.Statements[k].Vulnerability.Name
	})
	id, err := doc.GenerateCanonicalID()
	if err != nil {
		return nil, problems, err
	}
	doc.ID = id
	out, err := json.Marshal(&doc)
	return out, problems, err
}

// VulnRef is a vulnerability a scanner reported in a package.
type VulnRef struct{ ID, Package string }

// BuilderOnly makes a component_not_present statement for each vulnerability whose package the
// builder stage's SBOM lists (builder: name to version) and the image's package database does
// not: what the build proves on its own. The others get none: a package in the image is for a
// person to judge, and one in neither is not the build's to speak of. Each (id, package) once.
func BuilderOnly(refs []VulnRef, builder map[string]string, packages []string, source string) []VulnStatement {
	have := map[string]bool{}
	for _, p := range packages {
		have[strings.SplitN(p, ":", 2)[0]] = true
	}
	seen := map[VulnRef]bool{}
	var out []VulnStatement
	for _, r := range refs {
		version, inBuilder := builder[r.Package]
		if !inBuilder || have[r.Package] || seen[r] || !vulnID.MatchString(r.ID) {
			continue
		}
		seen[r] = true
		out = append(out, VulnStatement{ID: r.ID, Package: r.Package, Justification: string(vex.ComponentNotPresent), Source: source,
			Reason: fmt.Sprintf("%s %s is in the builder stage's SBOM only; the image's package database lists no %s", r.Package, version, r.Package)})
	}
	return out
}
