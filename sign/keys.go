package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types of the keys cosign and openssl write.
const (
	pemSigstoreEncrypted = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemCosignEncrypted   = "ENCRYPTED COSIGN PRIVATE KEY"
	pemPKCS8             = "PRIVATE KEY"
	pemSEC1              = "EC PRIVATE KEY"
	pemPublic            = "PUBLIC KEY"
)

// PassphraseEnv holds an encrypted key's passphrase, as for cosign.
const PassphraseEnv = "COSIGN_PASSWORD"

// readKeyRef reads a key from a file or, for env://VAR, from that variable; the error names
// where, never the content.
func readKeyRef(ref string, getenv func(string) string) ([]byte, error) {
	if v, ok := strings.CutPrefix(ref, "env://"); ok {
		data := getenv(v)
		if data == "" {
			return nil, fmt.Errorf("key %s: the variable %s is empty or unset; export the PEM key in it", ref, v)
		}
		return []byte(data), nil
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	return data, nil
}

// LoadPrivateKey reads an ECDSA P-256 private key: cosign's encrypted key file (its passphrase
// from COSIGN_PASSWORD through getenv), PKCS#8 or SEC 1 PEM as openssl writes them.
func LoadPrivateKey(ref string, getenv func(string) string) (*ecdsa.PrivateKey, error) {
	data, err := readKeyRef(ref, getenv)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("key %s: not a PEM key; pass cosign.key (cosign generate-key-pair) or a PKCS#8 PEM key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)", ref)
	}
	var key any
	switch block.Type {
	case pemSigstoreEncrypted, pemCosignEncrypted:
		der, derr := encrypted.Decrypt(block.Bytes, []byte(getenv(PassphraseEnv)))
		if derr != nil {
			return nil, fmt.Errorf("key %s: cannot decrypt it (%v); set %s to its passphrase", ref, derr, PassphraseEnv)
		}
		key, err = x509.ParsePKCS8PrivateKey(der)
	case pemPKCS8:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case pemSEC1:
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("key %s: a PEM %q block is not a private key this command reads; pass cosign.key or a PKCS#8 ECDSA P-256 key", ref, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %v", ref, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key %s: not an ECDSA P-256 key; make one with cosign generate-key-pair", ref)
	}
	return ec, nil
}

// LoadPublicKey reads an ECDSA P-256 public key in PKIX PEM (cosign.pub).
func LoadPublicKey(ref string, getenv func(string) string) (*ecdsa.PublicKey, error) {
	data, err := readKeyRef(ref, getenv)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemPublic {
		return nil, fmt.Errorf("key %s: not a PEM public key; pass cosign.pub", ref)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("key %s: %v", ref, err)
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("key " + ref + ": not an ECDSA P-256 public key")
	}
	return ec, nil
}
