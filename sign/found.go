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
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// Found is an in-toto statement about an image found in its index or among its signatures,
// and whether the key signed it as it is.
type Found struct {
	Statement []byte
	// Where says where it was read: "the index", "the .att tag", "a referrer".
	Where  string
	Signed bool
}

// FindStatements lists every statement about the image repo@digest whose predicate type starts
// with prefix: in the attestations of its index (when indexDigest is not empty), in its .att tag
// and in the bundles referring to it, each once. Signed tells which ones pub signed; with pub
// nil none is.
func FindStatements(ctx context.Context, repo name.Repository, indexDigest, digest, prefix string, pub *ecdsa.PublicKey, opts ...remote.Option) ([]Found, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	p := &Plan{Repo: repo, Name: repo.Digest(digest).String(), Digest: digest}
	if indexDigest != "" {
		ip, err := Inspect(repo.Digest(indexDigest), opts...)
		if err != nil {
			return nil, err
		}
		p.Attestations = ip.attestationsOf(digest)
	}
	var out []Found
	seen := map[string]int{}
	add := func(where string, stmt []byte) {
		var st statement
		if json.Unmarshal(stmt, &st) != nil || !strings.HasPrefix(st.PredicateType, prefix) || !st.names(digest) {
			return
		}
		h := fmt.Sprintf("sha256:%x", sha256.Sum256(stmt))
		if _, dup := seen[h]; !dup {
			seen[h] = len(out)
			out = append(out, Found{Statement: stmt, Where: where})
		}
	}
	for _, a := range p.Attestations {
		add("the index", a.Statement)
	}
	if err := p.unverified(digest, opts, add); err != nil {
		return nil, err
	}
	if pub == nil || len(out) == 0 {
		return out, nil
	}
	f, err := p.signatures(pub, digest, opts)
	if err != nil {
		return nil, err
	}
	for h, i := range seen {
		out[i].Signed = f.statements[h]
	}
	return out, nil
}

// unverified reads the statements of the .att tag's envelopes and of the bundles referring to
// digest without checking a signature: what claims to be there, for FindStatements to hold to
// the key.
func (p *Plan) unverified(digest string, opts []remote.Option, add func(string, []byte)) error {
	att, err := readLegacy(legacyTag(p.Repo, digest, "att"), opts)
	if err != nil {
		return err
	}
	if att != nil {
		layers, err := att.Layers()
		if err != nil {
			return fmt.Errorf("%s: .att: %v", p.Name, err)
		}
		for _, l := range layers {
			data, err := readAll(l)
			if err != nil {
				return fmt.Errorf("%s: .att: %v", p.Name, err)
			}
			var env envelope
			if json.Unmarshal(data, &env) == nil {
				if payload, err := base64.StdEncoding.DecodeString(env.Payload); err == nil {
					add("the .att tag", payload)
				}
			}
		}
	}
	return p.eachBundle(digest, opts, func(data []byte) {
		var b bundle.Bundle
		if b.UnmarshalJSON(data) != nil {
			return
		}
		if env, err := b.Envelope(); err == nil {
			if payload, err := env.RawEnvelope().DecodeB64Payload(); err == nil {
				add("a referrer", payload)
			}
		}
	})
}
