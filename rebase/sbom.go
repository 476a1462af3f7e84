package rebase

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/sbom"
)

// maxStatement bounds an attestation statement read from the image; an SBOM is a few megabytes at most.
const maxStatement = 64 << 20

// spdxPackage is what the frontend's SPDX documents say of a package (sbom.SPDX).
type spdxPackage struct {
	Name       string `json:"name"`
	Version    string `json:"versionInfo"`
	License    string `json:"licenseConcluded"`
	SourceInfo string `json:"sourceInfo"`
	Refs       []struct {
		Type    string `json:"referenceType"`
		Locator string `json:"referenceLocator"`
	} `json:"externalRefs"`
}

// oldSBOMs reads the frontend's two SPDX documents from the image's attestations: the image's packages
// that are not Debian's (the app's own: Go modules, crates, npm packages), which the base does not
// change, and the builder stage's document as it is. ok is false when the image carries no such SBOM.
func oldSBOMs(s source) (app []sbom.Package, builder []byte, ok bool) {
	if s.atts == nil {
		return nil, nil, false
	}
	m, err := s.atts.Manifest()
	if err != nil {
		return nil, nil, false
	}
	for _, l := range m.Layers {
		if l.Annotations[predicateAnnotation] != audit.PredicateSPDX {
			continue
		}
		pred, err := statementPredicate(s, l.Digest.String())
		if err != nil {
			continue
		}
		var doc struct {
			Name     string        `json:"name"`
			Packages []spdxPackage `json:"packages"`
		}
		if json.Unmarshal(pred, &doc) != nil {
			continue
		}
		switch doc.Name {
		case "builder":
			builder = pred
		case "image":
			ok = true
			app = appPackages(doc.Packages)
		}
	}
	return app, builder, ok
}

func appPackages(pkgs []spdxPackage) []sbom.Package {
	var out []sbom.Package
	for _, p := range pkgs {
		purl := ""
		for _, r := range p.Refs {
			if r.Type == "purl" {
				purl = r.Locator
			}
		}
		if purl == "" || strings.HasPrefix(purl, "pkg:deb/") {
			continue
		}
		license := p.License
		if license == "NOASSERTION" {
			license = ""
		}
		out = append(out, sbom.Package{Name: p.Name, Version: p.Version, PURL: purl, License: license,
			Location: strings.TrimPrefix(p.SourceInfo, "found in ")})
	}
	return out
}

// statementPredicate is the predicate of the in-toto statement held in one layer of the attestation manifest.
func statementPredicate(s source, layer string) ([]byte, error) {
	h, err := hashOf(layer)
	if err != nil {
		return nil, err
	}
	l, err := s.atts.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed() // a statement is stored as it is
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dt, err := io.ReadAll(io.LimitReader(rc, maxStatement))
	if err != nil {
		return nil, err
	}
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(dt, &st); err != nil {
		return nil, err
	}
	return st.Predicate, nil
}

// imageSBOM is the new image's SPDX document: the new image's Debian packages (the new base's), and the
// app's own packages from the old image's SBOM, or, without one, the Go modules of its entrypoint.
func imageSBOM(ctx context.Context, t *audit.Target, s source, created time.Time) (image, builder []byte, err error) {
	pkgs, err := packages(ctx, t.FS)
	if err != nil {
		return nil, nil, err
	}
	app, builder, ok := oldSBOMs(s)
	if ok {
		pkgs = append(pkgs, app...)
	} else if ep := t.Config.Config.Entrypoint; len(ep) > 0 {
		if dt, err := t.FS.ReadFile(ctx, ep[0]); err == nil {
			if mods, ok := sbom.GoModules(ep[0], bytes.NewReader(dt)); ok {
				pkgs = append(pkgs, mods...)
			}
		}
	}
	image, err = sbom.SPDX("image", created, pkgs)
	return image, builder, err
}
