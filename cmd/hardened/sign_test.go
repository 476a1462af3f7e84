package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func writeKeys(t *testing.T, dir string) (priv, pub string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	return priv, pub
}

// TestSignVerifyCommands signs a single image (no index, so no report: --allow-no-report) and
// verifies it with the right and a wrong key; sign_test.go in package sign covers indexes.
func TestSignVerifyCommands(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/team/app:1"
	img, _ := random.Image(64, 1)
	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	priv, pub := writeKeys(t, t.TempDir())
	_, otherPub := writeKeys(t, t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"sign", ref, "--key", priv}, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no check report") {
		t.Fatalf("sign without a report: %d %s", code, errb.String())
	}
	if code := run([]string{"sign", ref, "--key", priv, "--allow-no-report"}, &out, &errb); code != 0 {
		t.Fatalf("sign: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"verify", ref, "--key", otherPub}, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no signature that verifies") {
		t.Fatalf("verify with a wrong key: %d %s", code, errb.String())
	}
	errb.Reset()
	// A single image has no attestation manifest, so verify refuses it for want of a report.
	if code := run([]string{"verify", ref, "--key", pub}, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no check report") {
		t.Fatalf("verify: %d %s", code, errb.String())
	}
	if code := run([]string{"sign", ref}, &out, &errb); code != exitUsage {
		t.Fatalf("sign without --key: %d", code)
	}
	if strings.Contains(out.String()+errb.String(), "PRIVATE KEY") {
		t.Fatal("a key reached the output")
	}
}
