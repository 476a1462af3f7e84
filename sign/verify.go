package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// SubjectResult says how one manifest is signed.
type SubjectResult struct {
	Subject
	// Formats are the kinds of valid signature found: bundle, legacy.
	Formats []string
}

// Verified is what Verify proved: every manifest signed, every attestation signed unchanged.
type Verified struct {
	Name, Digest string
	Subjects     []SubjectResult
	Attestations int
	// Reports are the signed check reports' statements by platform image digest.
	Reports map[string][]byte
	// IndexReport is the check report signed on the index, derived again from Reports and
	// equal to it; nil when the index carries none (a single image, or signed before it was written).
	IndexReport []byte
}

// found collects the valid signatures of one subject.
type found struct {
	formats    map[string]bool
	statements map[string]bool // sha256:HEX of each signed statement
	reports    [][]byte        // the signed check report statements
}

// Verify checks offline, with pub, that ref's index and platform images are signed and that
// every attestation is signed as it is; it returns the signed check reports.
func Verify(ctx context.Context, ref string, pub *ecdsa.PublicKey, opts ...remote.Option) (*Verified, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", ref, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	p, err := Inspect(r, opts...)
	if err != nil {
		return nil, err
	}
	v := &Verified{Name: p.Name, Digest: p.Digest, Reports: map[string][]byte{}}
	manifests := map[string]bool{}
	var indexSigs *found
	for _, s := range p.Subjects {
		f, err := p.signatures(pub, s.Digest, opts)
		if err != nil {
			return nil, err
		}
		if s.Kind == kindIndex {
			indexSigs = f
		}
		if len(f.formats) == 0 {
			return nil, fmt.Errorf("%s: %s %s (%s) has no signature that verifies with this key; sign the image with hardened sign %s --key KEY, or pass the public key it was signed with",
				p.Name, s.Kind, s.Digest, orAny(s.Platform), p.Name)
		}
		res := SubjectResult{Subject: s}
		for _, k := range []string{FormatBundle, FormatLegacy} {
			if f.formats[k] {
				res.Formats = append(res.Formats, k)
			}
		}
		v.Subjects = append(v.Subjects, res)
		for _, a := range p.attestationsOf(s.Digest) {
			ok, err := p.attestationSigned(pub, a, f, manifests, opts)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%s: the %s attestation of image %s (layer %s in %s) is not signed by this key as it is now: it was changed after signing, or never signed; rebuild and sign again, or find who changed it",
					p.Name, a.PredicateType, s.Digest, a.Layer, a.Manifest)
			}
			v.Attestations++
			if a.PredicateType == PredicateCheckReport {
				v.Reports[s.Digest] = a.Statement
			}
		}
		if s.Kind == kindImage && v.Reports[s.Digest] == nil {
			return nil, fmt.Errorf("%s: image %s (%s) carries no check report attestation; build it with attestations (buildx --provenance=true) and sign it again",
				p.Name, s.Digest, orAny(s.Platform))
		}
	}
	if indexSigs != nil {
		if err := p.checkIndexReport(v, indexSigs); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// checkIndexReport derives the index's check report from the platforms' signed ones and wants
// every check report signed on the index to be it: admission controllers read that one alone.
func (p *Plan) checkIndexReport(v *Verified, f *found) error {
	if len(f.reports) == 0 {
		return nil
	}
	prs, _ := p.platformReports(v.Reports)
	want, err := IndexReportStatement(p.Repo.Name(), p.Digest, prs)
	if err != nil {
		return fmt.Errorf("%s: index %s: %v", p.Name, p.Digest, err)
	}
	for _, got := range f.reports {
		if string(got) != string(want) {
			return fmt.Errorf("%s: index %s carries a signed check report (sha256:%x) that is not the one its platform images' signed reports give (sha256:%x): an admission controller reading the index would hold the image to a claim its platform reports do not make; sign the image again with hardened sign, and find who signed that report",
				p.Name, p.Digest, sha256.Sum256(got), sha256.Sum256(want))
		}
	}
	v.IndexReport = want
	return nil
}

// attestationSigned says whether a statement is signed as it is: itself (hardened sign), or the
// attestation manifest that holds it by digest (cosign sign --recursive). manifests caches the
// second answer per manifest.
func (p *Plan) attestationSigned(pub *ecdsa.PublicKey, a Attestation, f *found, manifests map[string]bool, opts []remote.Option) (bool, error) {
	if f.statements[a.Layer] {
		return true, nil
	}
	signed, seen := manifests[a.Manifest]
	if !seen {
		mf, err := p.signatures(pub, a.Manifest, opts)
		if err != nil {
			return false, err
		}
		signed = len(mf.formats) > 0
		manifests[a.Manifest] = signed
	}
	return signed, nil
}

// signatures reads the bundles referring to digest and its legacy .sig and .att tags.
func (p *Plan) signatures(pub *ecdsa.PublicKey, digest string, opts []remote.Option) (*found, error) {
	f := &found{formats: map[string]bool{}, statements: map[string]bool{}}
	signed := func(format string, stmt []byte) {
		var st statement
		if json.Unmarshal(stmt, &st) != nil || !st.names(digest) {
			return
		}
		if st.PredicateType == PredicateSign {
			f.formats[format] = true
			return
		}
		h := fmt.Sprintf("sha256:%x", sha256.Sum256(stmt))
		if st.PredicateType == PredicateCheckReport && !f.statements[h] {
			f.reports = append(f.reports, stmt)
		}
		f.statements[h] = true
	}
	if err := p.bundles(pub, digest, opts, signed); err != nil {
		return nil, err
	}
	if err := p.legacySigs(pub, digest, opts, f); err != nil {
		return nil, err
	}
	att, err := readLegacy(legacyTag(p.Repo, digest, "att"), opts)
	if err != nil || att == nil {
		return f, err
	}
	layers, err := att.Layers()
	if err != nil {
		return nil, fmt.Errorf("%s@%s: .att: %v", p.Name, digest, err)
	}
	for _, l := range layers {
		data, err := readAll(l)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: .att: %v", p.Name, digest, err)
		}
		if payload, err := openEnvelope(pub, data); err == nil {
			signed(FormatLegacy, payload)
		}
	}
	return f, nil
}

// bundles verifies every Sigstore bundle referring to digest; one by another key is skipped.
func (p *Plan) bundles(pub *ecdsa.PublicKey, digest string, opts []remote.Option, signed func(string, []byte)) error {
	return p.eachBundle(digest, opts, func(data []byte) {
		if stmt, err := openBundle(pub, data, digest); err == nil {
			signed(FormatBundle, stmt)
		}
	})
}

// eachBundle calls fn with the bytes of every Sigstore bundle referring to digest.
func (p *Plan) eachBundle(digest string, opts []remote.Option, fn func([]byte)) error {
	idx, err := remote.Referrers(p.Repo.Digest(digest), opts...)
	if err != nil {
		return fmt.Errorf("%s@%s: listing referrers: %v", p.Name, digest, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, m := range im.Manifests {
		// Registries report artifactType unevenly (some give the config's media type), so
		// every referrer is opened and told by its layer.
		if m.ArtifactType != MediaBundle && m.ArtifactType != MediaEmptyConfig {
			continue
		}
		img, err := remote.Image(p.Repo.Digest(m.Digest.String()), opts...)
		if err != nil {
			return fmt.Errorf("%s@%s: referrer %s: %v", p.Name, digest, m.Digest, err)
		}
		mf, err := img.Manifest()
		if err != nil || len(mf.Layers) != 1 || mf.Layers[0].MediaType != MediaBundle {
			continue
		}
		layer, err := img.LayerByDigest(mf.Layers[0].Digest)
		if err != nil {
			return fmt.Errorf("%s@%s: referrer %s: %v", p.Name, digest, m.Digest, err)
		}
		data, err := readAll(layer)
		if err != nil {
			return fmt.Errorf("%s@%s: referrer %s: %v", p.Name, digest, m.Digest, err)
		}
		fn(data)
	}
	return nil
}

// legacySigs verifies cosign's simple signing payloads under the .sig tag.
func (p *Plan) legacySigs(pub *ecdsa.PublicKey, digest string, opts []remote.Option, f *found) error {
	img, err := readLegacy(legacyTag(p.Repo, digest, "sig"), opts)
	if err != nil || img == nil {
		return err
	}
	mf, err := img.Manifest()
	if err != nil {
		return err
	}
	for _, d := range mf.Layers {
		sig, err := base64.StdEncoding.DecodeString(d.Annotations[AnnotationSignature])
		if err != nil || len(sig) == 0 {
			continue
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return err
		}
		payload, err := readAll(l)
		if err != nil {
			return fmt.Errorf("%s@%s: .sig: %v", p.Name, digest, err)
		}
		var ss simpleSigning
		if verifyBytes(pub, payload, sig) && json.Unmarshal(payload, &ss) == nil &&
			ss.Critical.Image.DockerManifestDigest == digest {
			f.formats[FormatLegacy] = true
		}
	}
	return nil
}
