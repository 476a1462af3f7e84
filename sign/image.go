package sign

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// BuildKit's annotations on an attestation manifest in an index, and on its layers.
const (
	annotationRefType    = "vnd.docker.reference.type"
	annotationRefDigest  = "vnd.docker.reference.digest"
	annotationPredicate  = "in-toto.io/predicate-type"
	refTypeAttestation   = "attestation-manifest"
	maxStatementBytes    = 64 << 20
	PredicateCheckReport = "https://github.com/hardenedbuild/hardened/attestations/check/v1"
	kindIndex, kindImage = "index", "image"
)

// Subject is a manifest an image signature covers: the index or one platform's image.
type Subject struct {
	Digest   string
	Kind     string
	Platform string
}

// Attestation is one in-toto statement BuildKit attached, as its layer holds it.
type Attestation struct {
	// Subject is the platform image the statement is about; Manifest the attestation manifest.
	Subject, Manifest, Layer, PredicateType string
	Statement                               []byte
}

// Plan is everything a signature is made for, read before anything is written.
type Plan struct {
	Repo         name.Repository
	Name         string
	Digest       string
	Subjects     []Subject
	Attestations []Attestation
}

// Inspect reads the image's index, platform images and attestation statements.
func Inspect(ref name.Reference, opts ...remote.Option) (*Plan, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read it from the registry: %w", ref, err)
	}
	p := &Plan{Repo: ref.Context(), Name: ref.String(), Digest: desc.Digest.String()}
	if !desc.MediaType.IsIndex() {
		p.Subjects = []Subject{{Digest: p.Digest, Kind: kindImage}}
		return p, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", ref, p.Digest, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", ref, p.Digest, err)
	}
	p.Subjects = append(p.Subjects, Subject{Digest: p.Digest, Kind: kindIndex})
	for _, m := range im.Manifests {
		if m.Annotations[annotationRefType] == refTypeAttestation {
			atts, err := p.readAttestations(m, opts)
			if err != nil {
				return nil, err
			}
			p.Attestations = append(p.Attestations, atts...)
			continue
		}
		s := Subject{Digest: m.Digest.String(), Kind: kindImage}
		if m.Platform != nil {
			s.Platform = m.Platform.String()
		}
		p.Subjects = append(p.Subjects, s)
	}
	return p, nil
}

// readAttestations reads every statement layer of one attestation manifest.
func (p *Plan) readAttestations(m v1.Descriptor, opts []remote.Option) ([]Attestation, error) {
	where := fmt.Sprintf("%s: attestation manifest %s", p.Name, m.Digest)
	img, err := remote.Image(p.Repo.Digest(m.Digest.String()), opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var out []Attestation
	for _, l := range mf.Layers {
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", where, l.Digest, err)
		}
		data, err := readAll(layer)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", where, l.Digest, err)
		}
		var st statement
		if err := json.Unmarshal(data, &st); err != nil || st.PredicateType == "" {
			return nil, fmt.Errorf("%s: layer %s is not an in-toto statement; rebuild the image", where, l.Digest)
		}
		out = append(out, Attestation{Subject: m.Annotations[annotationRefDigest], Manifest: m.Digest.String(),
			Layer: l.Digest.String(), PredicateType: st.PredicateType, Statement: data})
	}
	return out, nil
}

// readAll reads a blob as stored (statements are not compressed), bounded.
func readAll(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxStatementBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStatementBytes {
		return nil, fmt.Errorf("over %d bytes", maxStatementBytes)
	}
	return data, nil
}

// attestationsOf lists the statements about one platform image.
func (p *Plan) attestationsOf(digest string) []Attestation {
	var out []Attestation
	for _, a := range p.Attestations {
		if a.Subject == digest {
			out = append(out, a)
		}
	}
	return out
}
