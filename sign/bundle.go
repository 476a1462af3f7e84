package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// keypair lets sigstore-go sign with a key read from a file: it holds no other copy of it.
type keypair struct{ key *ecdsa.PrivateKey }

func (k keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (k keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (k keypair) GetHint() []byte                { return keyHint(&k.key.PublicKey) }
func (k keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k keypair) GetPublicKey() crypto.PublicKey { return &k.key.PublicKey }
func (k keypair) GetPublicKeyPem() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der})), nil
}
func (k keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := signBytes(k.key, data)
	return sig, sum[:], err
}

// keyHint names the key in a bundle: the base64 SHA-256 of its PKIX form, as sigstore-go does.
func keyHint(pub *ecdsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// makeBundle signs an in-toto statement as a DSSE envelope in a v0.3 bundle, with the public
// key's hint as verification material and no transparency log: the offline, keyed mode.
func makeBundle(key *ecdsa.PrivateKey, stmt []byte) ([]byte, error) {
	b, err := sgsign.Bundle(&sgsign.DSSEData{Data: stmt, PayloadType: PayloadTypeInToto}, keypair{key}, sgsign.BundleOptions{})
	if err != nil {
		return nil, err
	}
	return (&bundle.Bundle{Bundle: b}).MarshalJSON()
}

// openBundle verifies a bundle with pub, offline, that its statement names digest, and
// returns the statement's bytes.
func openBundle(pub *ecdsa.PublicKey, data []byte, digest string) ([]byte, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("not a Sigstore bundle: %v", err)
	}
	sv, err := signature.LoadECDSAVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	v, err := verify.NewVerifier(material, verify.WithCurrentTime())
	if err != nil {
		return nil, err
	}
	sum, err := hex.DecodeString(digest[len("sha256:"):])
	if err != nil {
		return nil, err
	}
	if _, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", sum), verify.WithKey())); err != nil {
		return nil, err
	}
	env, err := b.Envelope()
	if err != nil {
		return nil, err
	}
	return env.RawEnvelope().DecodeB64Payload()
}
