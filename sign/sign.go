package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Formats of --format.
const (
	FormatBoth   = "both"
	FormatBundle = "bundle"
	FormatLegacy = "legacy"
)

// Options change what Sign writes.
type Options struct {
	Format string
	// AllowNoReport signs a platform image that carries no check report.
	AllowNoReport bool
	Remote        []remote.Option
	// Extra makes more statements about a platform image (the VEX document) to sign with its
	// attestations; they are pushed as signatures only, the index is left as it is.
	Extra func(p *Plan, s Subject) ([][]byte, error)
}

// Written is one signature pushed: what it signs and where it went.
type Written struct {
	Subject, What, Where string
}

func (w Written) String() string { return w.What + " of " + w.Subject + " -> " + w.Where }

// pending is a signature made and not yet pushed.
type pending struct {
	subject v1.Descriptor
	what    string
	push    func() (string, error)
}

// Sign signs the index, each platform image and every attestation of ref with key, and attests
// on the index the check report derived from its platform images' (IndexReportStatement). Every
// payload is read and signed before anything is pushed; a push that fails returns what was
// written before it, with the error.
func Sign(ctx context.Context, ref string, key *ecdsa.PrivateKey, o Options) ([]Written, error) {
	if o.Format == "" {
		o.Format = FormatBoth
	}
	if o.Format != FormatBoth && o.Format != FormatBundle && o.Format != FormatLegacy {
		return nil, fmt.Errorf("unknown format %q; write both, bundle or legacy", o.Format)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", ref, err)
	}
	o.Remote = append([]remote.Option{remote.WithContext(ctx)}, o.Remote...)
	p, err := Inspect(r, o.Remote...)
	if err != nil {
		return nil, err
	}
	if !o.AllowNoReport {
		if err := p.requireReports(); err != nil {
			return nil, err
		}
	}
	if err := p.addIndexReport(); err != nil {
		return nil, err
	}
	if err := p.addExtra(o.Extra); err != nil {
		return nil, err
	}
	work, err := p.prepare(key, o)
	if err != nil {
		return nil, err
	}
	var done []Written
	for _, w := range work {
		where, err := w.push()
		if err != nil {
			return done, fmt.Errorf("%s@%s: pushing the %s failed: %v; %s; run hardened sign again once the registry accepts writes (it adds signatures, it never removes one)",
				p.Name, w.subject.Digest, w.what, err, writtenSoFar(done))
		}
		done = append(done, Written{Subject: w.subject.Digest.String(), What: w.what, Where: where})
	}
	return done, nil
}

func writtenSoFar(done []Written) string {
	if len(done) == 0 {
		return "nothing was written before it"
	}
	s := make([]string, len(done))
	for i, w := range done {
		s[i] = w.String()
	}
	return fmt.Sprintf("%d signature(s) were written before it: %s", len(done), strings.Join(s, "; "))
}

// addExtra adds the statements extra makes for each platform image to what is signed.
func (p *Plan) addExtra(extra func(*Plan, Subject) ([][]byte, error)) error {
	if extra == nil {
		return nil
	}
	for _, s := range p.Subjects {
		if s.Kind != kindImage {
			continue
		}
		stmts, err := extra(p, s)
		if err != nil {
			return fmt.Errorf("%s@%s: %w; nothing was signed", p.Name, s.Digest, err)
		}
		for _, stmt := range stmts {
			var st statement
			if err := json.Unmarshal(stmt, &st); err != nil || !st.names(s.Digest) {
				return fmt.Errorf("%s@%s: an extra statement does not name the image", p.Name, s.Digest)
			}
			p.Attestations = append(p.Attestations, Attestation{Subject: s.Digest, Layer: fmt.Sprintf("sha256:%x", sha256.Sum256(stmt)),
				PredicateType: st.PredicateType, Statement: stmt})
		}
	}
	return nil
}

// Statement is an in-toto v1 statement about the image repo@digest.
func Statement(repo, digest, predicateType string, predicate []byte) []byte {
	out, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": repo, "digest": map[string]string{"sha256": strings.TrimPrefix(digest, "sha256:")}}},
		"predicateType": predicateType,
		"predicate":     json.RawMessage(predicate),
	})
	return out
}

// requireReports refuses an index whose platform image has no check report to sign.
func (p *Plan) requireReports() error {
	for _, s := range p.Subjects {
		if s.Kind != kindImage {
			continue
		}
		found := false
		for _, a := range p.attestationsOf(s.Digest) {
			found = found || a.PredicateType == PredicateCheckReport
		}
		if !found {
			return fmt.Errorf("%s: image %s (%s) carries no check report attestation; build it with attestations (buildx --provenance=true, or --attest type=provenance) and push the whole index, or pass --allow-no-report", p.Name, s.Digest, orAny(s.Platform))
		}
	}
	return nil
}

func orAny(platform string) string {
	if platform == "" {
		return "no platform"
	}
	return platform
}

// prepare signs every payload and returns the pushes, bundles first.
func (p *Plan) prepare(key *ecdsa.PrivateKey, o Options) ([]pending, error) {
	var work []pending
	bundles, legacy := o.Format != FormatLegacy, o.Format != FormatBundle
	for _, s := range p.Subjects {
		desc, err := remote.Head(p.Repo.Digest(s.Digest), o.Remote...)
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %v", p.Name, s.Digest, err)
		}
		atts := p.attestationsOf(s.Digest)
		if bundles {
			b, err := makeBundle(key, signStatement(p.Repo.Name(), s.Digest))
			if err != nil {
				return nil, fmt.Errorf("%s@%s: %v", p.Name, s.Digest, err)
			}
			work = append(work, p.referrer(*desc, s.Kind+" signature (bundle)", b, PredicateSign, o))
			for _, a := range atts {
				b, err := makeBundle(key, a.Statement)
				if err != nil {
					return nil, fmt.Errorf("%s@%s: attestation %s: %v", p.Name, s.Digest, a.Layer, err)
				}
				work = append(work, p.referrer(*desc, a.PredicateType+" attestation (bundle)", b, a.PredicateType, o))
			}
		}
		if legacy {
			l, err := p.legacySig(key, s.Digest)
			if err != nil {
				return nil, err
			}
			work = append(work, p.legacyPush(*desc, s.Kind+" signature (.sig)", legacyTag(p.Repo, s.Digest, "sig"), []legacyLayer{l}, &key.PublicKey, o))
			if len(atts) > 0 {
				ls, err := legacyAtts(key, atts)
				if err != nil {
					return nil, fmt.Errorf("%s@%s: %v", p.Name, s.Digest, err)
				}
				work = append(work, p.legacyPush(*desc, fmt.Sprintf("%d attestation(s) (.att)", len(ls)), legacyTag(p.Repo, s.Digest, "att"), ls, &key.PublicKey, o))
			}
		}
	}
	return work, nil
}

func (p *Plan) referrer(subject v1.Descriptor, what string, b []byte, pt string, o Options) pending {
	return pending{subject: subject, what: what, push: func() (string, error) {
		d, err := writeReferrer(p.Repo, subject, b, pt, o.Remote)
		return "referrer " + p.Repo.Digest(d).String(), err
	}}
}

func (p *Plan) legacyPush(subject v1.Descriptor, what string, tag name.Tag, ls []legacyLayer, pub *ecdsa.PublicKey, o Options) pending {
	return pending{subject: subject, what: what, push: func() (string, error) {
		added, err := appendLegacy(tag, ls, pub, o.Remote)
		if err == nil && added == 0 {
			return "tag " + tag.String() + " (already held)", nil
		}
		return "tag " + tag.String(), err
	}}
}

func (p *Plan) legacySig(key *ecdsa.PrivateKey, digest string) (legacyLayer, error) {
	payload := simpleSigningPayload(p.Repo.Name(), digest)
	sig, err := signBytes(key, payload)
	if err != nil {
		return legacyLayer{}, fmt.Errorf("%s@%s: %v", p.Name, digest, err)
	}
	return legacyLayer{data: payload, signed: payload, mediaType: types.MediaType(MediaSimpleSigning),
		annotations: map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}}, nil
}

func legacyAtts(key *ecdsa.PrivateKey, atts []Attestation) ([]legacyLayer, error) {
	var out []legacyLayer
	for _, a := range atts {
		env, err := dsseEnvelope(key, a.Statement)
		if err != nil {
			return nil, fmt.Errorf("attestation %s: %v", a.Layer, err)
		}
		// cosign reads an .att layer only with the signature annotation present, empty: the
		// signature is in the envelope.
		out = append(out, legacyLayer{data: env, signed: a.Statement, mediaType: types.MediaType(MediaDSSE),
			annotations: map[string]string{AnnotationPredicate: a.PredicateType, AnnotationSignature: ""}})
	}
	return out, nil
}
