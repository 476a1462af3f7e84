package rebase

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
)

// CarryVEX re-derives an OpenVEX document about the image as built for the rebased image: every
// statement is about newProduct (the new image by digest), and a component_not_present statement
// is kept only if the new image's package database (packages) still lacks its package, since the
// build proved it against the old base. It returns the new document, nil when no statement is
// left, and a line for each statement dropped.
func CarryVEX(doc []byte, newProduct string, packages []string, tooling string, now time.Time) ([]byte, []string, error) {
	var in vex.VEX
	if err := json.Unmarshal(doc, &in); err != nil {
		return nil, nil, fmt.Errorf("not an OpenVEX document: %v", err)
	}
	have := map[string]bool{}
	for _, p := range packages {
		have[strings.SplitN(p, ":", 2)[0]] = true
	}
	out := in
	ts := now.UTC()
	out.ID, out.Timestamp, out.LastUpdated, out.Tooling = "", &ts, nil, tooling
	out.Statements = nil
	var dropped []string
	for _, s := range in.Statements {
		if pkg := presentSubcomponent(s, have); pkg != "" {
			dropped = append(dropped, fmt.Sprintf("%s in %s: the rebased image has %s, so component_not_present no longer holds", s.Vulnerability.Name, pkg, pkg))
			continue
		}
		products := make([]vex.Product, 0, len(s.Products))
		for _, p := range s.Products {
			products = append(products, vex.Product{Component: vex.Component{ID: newProduct}, Subcomponents: p.Subcomponents})
		}
		s.Products = products
		out.Statements = append(out.Statements, s)
	}
	if len(out.Statements) == 0 {
		return nil, dropped, nil
	}
	if _, err := out.GenerateCanonicalID(); err != nil {
		return nil, dropped, err
	}
	data, err := json.Marshal(&out)
	return data, dropped, err
}

// presentSubcomponent is the package a component_not_present statement names that the image
// has, or "".
func presentSubcomponent(s vex.Statement, have map[string]bool) string {
	if s.Justification != vex.ComponentNotPresent {
		return ""
	}
	for _, p := range s.Products {
		for _, sc := range p.Subcomponents {
			if n := packageName(sc.ID); have[n] {
				return n
			}
		}
	}
	return ""
}

// packageName is a subcomponent's package name: the name itself, or a purl's name
// (pkg:deb/debian/NAME@VERSION?...).
func packageName(id string) string {
	if !strings.HasPrefix(id, "pkg:") {
		return id
	}
	id = strings.SplitN(strings.SplitN(id, "?", 2)[0], "@", 2)[0]
	return id[strings.LastIndex(id, "/")+1:]
}
