package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
)

// Media types and annotations of cosign's formats and of the Sigstore bundle.
const (
	PayloadTypeInToto   = "application/vnd.in-toto+json"
	MediaSimpleSigning  = "application/vnd.dev.cosign.simplesigning.v1+json"
	MediaDSSE           = "application/vnd.dsse.envelope.v1+json"
	MediaBundle         = "application/vnd.dev.sigstore.bundle.v0.3+json"
	MediaEmptyConfig    = "application/vnd.oci.empty.v1+json"
	AnnotationSignature = "dev.cosignproject.cosign/signature"
	AnnotationPredicate = "predicateType"
	AnnotationContent   = "dev.sigstore.bundle.content"
	AnnotationBundlePT  = "dev.sigstore.bundle.predicateType"
	// PredicateSign is the predicate cosign's bundle format signs an image with.
	PredicateSign = "https://sigstore.dev/cosign/sign/v1"
)

// simpleSigning is cosign's legacy image signature payload.
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

func simpleSigningPayload(repo, digest string) []byte {
	var p simpleSigning
	p.Critical.Identity.DockerReference = repo
	p.Critical.Image.DockerManifestDigest = digest
	p.Critical.Type = "cosign container image signature"
	out, _ := json.Marshal(p)
	return out
}

// statement is the part of an in-toto statement signing and verifying need.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
}

func (s statement) names(digest string) bool {
	for _, sub := range s.Subject {
		if "sha256:"+sub.Digest["sha256"] == digest {
			return true
		}
	}
	return false
}

// signStatement is what cosign's bundle format signs for an image: the image as subject.
func signStatement(repo, digest string) []byte {
	out, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": repo, "digest": map[string]string{"sha256": digest[len("sha256:"):]}}},
		"predicateType": PredicateSign,
		"predicate":     map[string]any{},
	})
	return out
}

// pae is DSSE's pre-authentication encoding, what a DSSE signature covers.
func pae(payloadType string, payload []byte) []byte {
	out := []byte("DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(payload)) + " ")
	return append(out, payload...)
}

// envelope is a DSSE envelope as cosign's .att layers hold it.
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// signBytes signs deterministically (RFC 6979): the same payload signed again with the same key
// gives the same bytes, so signing an image twice writes the same bundles (referrers the
// registry already holds) and the legacy tags can tell a signature they already have.
func signBytes(key *ecdsa.PrivateKey, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	return key.Sign(nil, sum[:], crypto.SHA256)
}

func verifyBytes(pub *ecdsa.PublicKey, data, sig []byte) bool {
	sum := sha256.Sum256(data)
	return ecdsa.VerifyASN1(pub, sum[:], sig)
}

func dsseEnvelope(key *ecdsa.PrivateKey, payload []byte) ([]byte, error) {
	sig, err := signBytes(key, pae(PayloadTypeInToto, payload))
	if err != nil {
		return nil, err
	}
	env := envelope{PayloadType: PayloadTypeInToto, Payload: base64.StdEncoding.EncodeToString(payload)}
	env.Signatures = append(env.Signatures, struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}{"", base64.StdEncoding.EncodeToString(sig)})
	return json.Marshal(env)
}

// openEnvelope checks an envelope's signature with pub and returns its payload.
func openEnvelope(pub *ecdsa.PublicKey, data []byte) ([]byte, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("not a DSSE envelope: %v", err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("DSSE payload: %v", err)
	}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err == nil && verifyBytes(pub, pae(env.PayloadType, payload), sig) {
			return payload, nil
		}
	}
	return nil, fmt.Errorf("no signature in the DSSE envelope verifies with this key")
}
