package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// pushIndex pushes an index like BuildKit's: per platform an image and an attestation manifest
// holding a check report, SPDX and provenance statements. report overrides the check predicate.
func pushIndex(t *testing.T, ref string, platforms []string, report map[string]any) name.Reference {
	t.Helper()
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pl := range platforms {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		d, _ := img.Digest()
		p, _ := v1.ParsePlatform(pl)
		att := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		preds := map[string]any{PredicateCheckReport: report, "https://spdx.dev/Document": map[string]any{"spdxVersion": "SPDX-2.3"},
			"https://slsa.dev/provenance/v1": map[string]any{"buildDefinition": map[string]any{}}}
		for _, pt := range []string{PredicateCheckReport, "https://spdx.dev/Document", "https://slsa.dev/provenance/v1"} {
			st, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": pt, "predicate": preds[pt],
				"subject": []any{map[string]any{"name": "pkg:docker/app", "digest": map[string]string{"sha256": d.Hex}}}})
			att, err = mutate.Append(att, mutate.Addendum{Layer: static.NewLayer(st, "application/vnd.in-toto+json"),
				MediaType: "application/vnd.in-toto+json", Annotations: map[string]string{annotationPredicate: pt}})
			if err != nil {
				t.Fatal(err)
			}
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}},
			mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
				Annotations: map[string]string{annotationRefType: refTypeAttestation, annotationRefDigest: d.String()}}})
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	return r
}

func passingReport() map[string]any {
	return map[string]any{"schemaVersion": 1, "predicateType": PredicateCheckReport, "gate": map[string]any{"failOn": "high", "passed": true},
		"results": []any{map[string]any{"id": "HX-USER-ROOT", "status": "pass"}}}
}

func newRegistry(t *testing.T, referrers bool) string {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers)))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyEachFormat(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		for _, format := range []string{FormatBoth, FormatBundle, FormatLegacy} {
			t.Run(fmt.Sprintf("referrers=%v/%s", referrers, format), func(t *testing.T) {
				host := newRegistry(t, referrers)
				ref := pushIndex(t, host+"/team/app:1", []string{"linux/amd64", "linux/arm64"}, passingReport())
				key := newKey(t)
				written, err := Sign(context.Background(), ref.String(), key, Options{Format: format})
				if err != nil {
					t.Fatal(err)
				}
				// The index also carries its derived check report: one bundle, one .att.
				want := map[string]int{FormatBoth: 3 + 7 + 3 + 3, FormatBundle: 3 + 7, FormatLegacy: 3 + 3}[format]
				if len(written) != want {
					t.Fatalf("wrote %d signatures, want %d: %v", len(written), want, written)
				}
				v, err := Verify(context.Background(), ref.String(), &key.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				if len(v.Subjects) != 3 || v.Attestations != 6 || len(v.Reports) != 2 || v.IndexReport == nil {
					t.Fatalf("verified %+v", v)
				}
				if _, err := Verify(context.Background(), ref.String(), &newKey(t).PublicKey); err == nil || !strings.Contains(err.Error(), "no signature that verifies with this key") {
					t.Fatalf("a wrong key: %v", err)
				}
			})
		}
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, true)
	key := newKey(t)

	// An image with no report is refused before anything is written.
	st, _ := json.Marshal(map[string]any{})
	_ = st
	noReport := pushIndex(t, host+"/team/none:1", []string{"linux/amd64"}, nil)
	if _, err := Sign(ctx, noReport.String(), key, Options{}); err != nil {
		t.Fatalf("a null report is still a report statement: %v", err)
	}
	bare, _ := random.Image(64, 1)
	bareRef, _ := name.ParseReference(host + "/team/bare:1")
	if err := remote.Write(bareRef, bare); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, bareRef.String(), &key.PublicKey); err == nil || !strings.Contains(err.Error(), "no signature") {
		t.Fatalf("an unsigned image: %v", err)
	}

	// A tampered attestation: the same images, the report changed after signing.
	ref := pushIndex(t, host+"/team/app:1", []string{"linux/amd64"}, passingReport())
	if _, err := Sign(ctx, ref.String(), key, Options{}); err != nil {
		t.Fatal(err)
	}
	p, err := Inspect(ref)
	if err != nil {
		t.Fatal(err)
	}
	tampered := passingReport()
	tampered["gate"] = map[string]any{"failOn": "none", "passed": true}
	retag(t, ref, p, tampered)
	_, err = Verify(ctx, ref.String(), &key.PublicKey)
	if err == nil || !strings.Contains(err.Error(), p.Name) {
		t.Fatalf("a tampered index verified: %v", err)
	}
}

// retag pushes the same platform image with a changed report under ref: the index digest changes.
func retag(t *testing.T, ref name.Reference, p *Plan, report map[string]any) {
	t.Helper()
	img, err := remote.Image(p.Repo.Digest(p.Subjects[1].Digest))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	st, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": PredicateCheckReport, "predicate": report,
		"subject": []any{map[string]any{"name": "x", "digest": map[string]string{"sha256": d.Hex}}}})
	att, _ := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{Layer: static.NewLayer(st, "application/vnd.in-toto+json")})
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefType: refTypeAttestation, annotationRefDigest: d.String()}}})
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
}

func TestKeys(t *testing.T) {
	key := newKey(t)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.pem")
	os.WriteFile(plain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	enc, err := encrypted.Encrypt(der, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	cosignKey := pem.EncodeToMemory(&pem.Block{Type: pemSigstoreEncrypted, Bytes: enc})
	env := map[string]string{"KEY": string(cosignKey), PassphraseEnv: "s3cret"}
	getenv := func(k string) string { return env[k] }
	for _, ref := range []string{plain, "env://KEY"} {
		got, err := LoadPrivateKey(ref, getenv)
		if err != nil || !got.Equal(key) {
			t.Fatalf("%s: %v", ref, err)
		}
	}
	env[PassphraseEnv] = "wrong"
	_, err = LoadPrivateKey("env://KEY", getenv)
	if err == nil || strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "SIGSTORE") {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	env["PUB"] = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if pub, err := LoadPublicKey("env://PUB", getenv); err != nil || !pub.Equal(&key.PublicKey) {
		t.Fatal(err)
	}
}

func TestReportHeldToToday(t *testing.T) {
	report := passingReport()
	report["waivers"] = []any{map[string]any{"id": "HX-MIN-SHELL", "reason": "debug", "expires": "2026-06-30", "source": "ignore.yaml:2", "status": "applied"}}
	report["validUntil"] = "2026-07-01T00:00:00Z"
	st, _ := json.Marshal(map[string]any{"predicate": report})
	if _, problems, err := Report(st, time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)); err != nil || len(problems) != 0 {
		t.Fatalf("on the last day: %v %v", problems, err)
	}
	if _, problems, _ := Report(st, time.Date(2026, 7, 1, 0, 0, 1, 0, time.UTC)); len(problems) != 2 {
		t.Fatalf("the day after: %v", problems)
	}
}

// TestManifestSignedAttestations: cosign sign --recursive signs the attestation manifests, not
// each statement; their digests cover the statements, so verify accepts them, and refuses an
// index whose attestation manifest alone is left unsigned.
func TestManifestSignedAttestations(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, false)
	key := newKey(t)
	ref := pushIndex(t, host+"/team/recursive:1", []string{"linux/amd64"}, passingReport())
	p, err := Inspect(ref)
	if err != nil {
		t.Fatal(err)
	}
	signManifest := func(digest string) {
		t.Helper()
		desc, err := remote.Head(p.Repo.Digest(digest))
		if err != nil {
			t.Fatal(err)
		}
		b, err := makeBundle(key, signStatement(p.Repo.Name(), digest))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := writeReferrer(p.Repo, *desc, b, PredicateSign, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range p.Subjects {
		signManifest(s.Digest)
	}
	if _, err := Verify(ctx, ref.String(), &key.PublicKey); err == nil || !strings.Contains(err.Error(), "is not signed by this key as it is now") {
		t.Fatalf("attestation manifests unsigned: %v", err)
	}
	signManifest(p.Attestations[0].Manifest)
	v, err := Verify(ctx, ref.String(), &key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if v.Attestations != 3 || len(v.Reports) != 1 {
		t.Fatalf("verified %+v", v)
	}
}

// TestLegacyAttestationLayers: cosign skips an .att layer without the signature annotation, so
// each carries it, empty, with the predicate type.
func TestLegacyAttestationLayers(t *testing.T) {
	host := newRegistry(t, true)
	key := newKey(t)
	ref := pushIndex(t, host+"/team/att:1", []string{"linux/amd64"}, passingReport())
	if _, err := Sign(context.Background(), ref.String(), key, Options{Format: FormatLegacy}); err != nil {
		t.Fatal(err)
	}
	p, err := Inspect(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(legacyTag(p.Repo, p.Subjects[1].Digest, "att"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(mf.Layers) != 3 {
		t.Fatalf("%d .att layers, want 3", len(mf.Layers))
	}
	for _, l := range mf.Layers {
		sig, ok := l.Annotations[AnnotationSignature]
		if !ok || sig != "" || l.Annotations[AnnotationPredicate] == "" || l.MediaType != MediaDSSE {
			t.Errorf(".att layer %s: %s %v", l.Digest, l.MediaType, l.Annotations)
		}
	}
}

// TestExtraStatements: a statement Extra makes (the VEX document) is signed in both formats with
// the attestations, verifies with cosign's layout, and one that names another image stops the
// signing before anything is written.
func TestExtraStatements(t *testing.T) {
	host := newRegistry(t, true)
	key := newKey(t)
	ref := pushIndex(t, host+"/team/vex:1", []string{"linux/amd64"}, passingReport())
	extra := func(p *Plan, s Subject) ([][]byte, error) {
		return [][]byte{Statement(p.Repo.Name(), s.Digest, "https://openvex.dev/ns/v0.2.0", []byte(`{"statements":[]}`))}, nil
	}
	written, err := Sign(context.Background(), ref.String(), key, Options{Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	var vex int
	for _, w := range written {
		if strings.HasPrefix(w.What, "https://openvex.dev/ns/v0.2.0 attestation") {
			vex++
		}
	}
	if vex != 1 || len(written) != 4+7 { // index: bundle, its report's bundle, .sig, .att; image: bundle, 4 attestation bundles, .sig, .att
		t.Fatalf("wrote %v", written)
	}
	p, _ := Inspect(ref)
	att, err := remote.Image(legacyTag(p.Repo, p.Subjects[1].Digest, "att"))
	if err != nil {
		t.Fatal(err)
	}
	mf, _ := att.Manifest()
	if n := len(mf.Layers); n != 4 || mf.Layers[3].Annotations[AnnotationPredicate] != "https://openvex.dev/ns/v0.2.0" {
		t.Fatalf(".att holds %d layers: %+v", n, mf.Layers)
	}
	if _, err := Verify(context.Background(), ref.String(), &key.PublicKey); err != nil {
		t.Fatal(err)
	}

	other := pushIndex(t, host+"/team/vex-other:1", []string{"linux/amd64"}, passingReport())
	wrong := func(p *Plan, s Subject) ([][]byte, error) {
		return [][]byte{Statement(p.Repo.Name(), "sha256:"+strings.Repeat("0", 64), "https://openvex.dev/ns/v0.2.0", []byte(`{}`))}, nil
	}
	written, err = Sign(context.Background(), other.String(), key, Options{Extra: wrong})
	if err == nil || len(written) != 0 || !strings.Contains(err.Error(), "does not name the image") {
		t.Fatalf("a statement about another image: %v %v", written, err)
	}
}

// TestOnePlatformUnsigned: an index whose arm64 image lost its signature is refused, naming
// that image and its platform, while the amd64 one and the index still verify.
func TestOnePlatformUnsigned(t *testing.T) {
	host := newRegistry(t, false)
	key := newKey(t)
	ref := pushIndex(t, host+"/team/two:1", []string{"linux/amd64", "linux/arm64"}, passingReport())
	if _, err := Sign(context.Background(), ref.String(), key, Options{Format: FormatLegacy}); err != nil {
		t.Fatal(err)
	}
	p, err := Inspect(ref)
	if err != nil {
		t.Fatal(err)
	}
	var arm Subject
	for _, s := range p.Subjects {
		if s.Platform == "linux/arm64" {
			arm = s
		}
	}
	if err := remote.Delete(legacyTag(p.Repo, arm.Digest, "sig")); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(context.Background(), ref.String(), &key.PublicKey)
	if err == nil || !strings.Contains(err.Error(), "image "+arm.Digest+" (linux/arm64) has no signature that verifies with this key") {
		t.Fatalf("one platform unsigned: %v", err)
	}
}

// TestSignTwice: signing the same image again with the same key writes nothing new: the legacy
// tags keep their layers (also one signed before signatures were deterministic) and the
// referrers are the same manifests. Another key's signatures are added beside them.
func TestSignTwice(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(fmt.Sprintf("referrers=%v", referrers), func(t *testing.T) {
			host := newRegistry(t, referrers)
			ref := pushIndex(t, host+"/team/app:1", []string{"linux/amd64"}, passingReport())
			p, err := Inspect(ref)
			if err != nil {
				t.Fatal(err)
			}
			img := p.Subjects[1].Digest
			key := newKey(t)
			// A .sig layer as an earlier hardened sign or cosign wrote it: a randomized signature.
			payload := simpleSigningPayload(p.Repo.Name(), img)
			sum := sha256.Sum256(payload)
			sig, _ := ecdsa.SignASN1(rand.Reader, key, sum[:])
			old := legacyLayer{data: payload, signed: payload, mediaType: MediaSimpleSigning,
				annotations: map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}}
			if n, err := appendLegacy(legacyTag(p.Repo, img, "sig"), []legacyLayer{old}, &key.PublicKey, nil); err != nil || n != 1 {
				t.Fatalf("the earlier signature: %d %v", n, err)
			}
			counts := func() string {
				var out []string
				for _, s := range p.Subjects {
					for _, suffix := range []string{"sig", "att"} {
						n := 0
						if l, _ := readLegacy(legacyTag(p.Repo, s.Digest, suffix), nil); l != nil {
							ls, _ := l.Layers()
							n = len(ls)
						}
						out = append(out, fmt.Sprintf("%s.%s=%d", s.Kind, suffix, n))
					}
					idx, err := remote.Referrers(p.Repo.Digest(s.Digest))
					if err != nil {
						t.Fatal(err)
					}
					im, _ := idx.IndexManifest()
					out = append(out, fmt.Sprintf("%s referrers=%d", s.Kind, len(im.Manifests)))
				}
				return strings.Join(out, " ")
			}
			if _, err := Sign(context.Background(), ref.String(), key, Options{}); err != nil {
				t.Fatal(err)
			}
			once := counts()
			if want := "index.sig=1 index.att=1 index referrers=2 image.sig=1 image.att=3 image referrers=4"; once != want {
				t.Fatalf("signed once: %s, want %s", once, want)
			}
			written, err := Sign(context.Background(), ref.String(), key, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if twice := counts(); twice != once {
				t.Errorf("signed twice: %s, want %s", twice, once)
			}
			held := 0
			for _, w := range written {
				if strings.HasSuffix(w.Where, "(already held)") {
					held++
				}
			}
			if held != 4 {
				t.Errorf("the second run says %d legacy tags were already held, want 4: %v", held, written)
			}
			other := newKey(t)
			if _, err := Sign(context.Background(), ref.String(), other, Options{}); err != nil {
				t.Fatal(err)
			}
			if got, want := counts(), "index.sig=2 index.att=2 index referrers=4 image.sig=2 image.att=6 image referrers=8"; got != want {
				t.Errorf("another key: %s, want %s", got, want)
			}
			for _, k := range []*ecdsa.PrivateKey{key, other} {
				if _, err := Verify(context.Background(), ref.String(), &k.PublicKey); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
