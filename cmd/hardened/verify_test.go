package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
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

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
)

// userImage is a random image whose config runs as user.
func userImage(t *testing.T, user string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.User = user
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(img, types.OCIManifestSchema1)
}

// reportOf runs the checks on an image pushed to repo, as the build does: its epoch, no gate.
func reportOf(t *testing.T, repo name.Repository, img v1.Image, day time.Time) []byte {
	t.Helper()
	d, _ := img.Digest()
	ref := repo.Digest(d.String())
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	target, err := image.LoadSource(context.Background(), image.Source{Kind: image.Registry, Ref: ref.String()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.Run(context.Background(), target, audit.WithTime(day), audit.NoGate())
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pushWithReport pushes img in an index with report as its check report attestation, laid out
// as BuildKit lays it out.
func pushWithReport(t *testing.T, ref name.Reference, img v1.Image, report []byte) {
	t.Helper()
	d, _ := img.Digest()
	st, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": audit.PredicateType,
		"predicate": json.RawMessage(report), "subject": []any{map[string]any{"name": "pkg:docker/app", "digest": map[string]string{"sha256": d.Hex}}}})
	att, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON),
		mutate.Addendum{Layer: static.NewLayer(st, "application/vnd.in-toto+json"), MediaType: "application/vnd.in-toto+json",
			Annotations: map[string]string{"in-toto.io/predicate-type": audit.PredicateType}})
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": d.String()}}})
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyRecheck: --recheck runs the checks again on the image's bytes. An image's own report
// matches them; the report of another image (non-root) signed onto an image that runs as root
// is a signed claim that no longer holds, and fails naming the check.
func TestVerifyRecheck(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	repo, _ := name.NewRepository(host + "/team/app")
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	nonroot, root := userImage(t, "65532:65532"), userImage(t, "0")
	priv, pub := writeKeys(t, t.TempDir())

	honest := repo.Tag("honest")
	pushWithReport(t, honest, root, reportOf(t, repo, root, day))
	lying := repo.Tag("lying")
	pushWithReport(t, lying, root, reportOf(t, repo, nonroot, day))
	for _, ref := range []name.Tag{honest, lying} {
		var out, errb bytes.Buffer
		if code := run([]string{"sign", ref.String(), "--key", priv}, &out, &errb); code != exitPass {
			t.Fatalf("sign %s: %d %s", ref, code, errb.String())
		}
	}

	verify := func(ref name.Tag, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"verify", ref.String(), "--key", pub}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := verify(honest, "--recheck", "--fail-on", "none"); code != exitPass ||
		!strings.Contains(out, "signed on the index: the check report its 1 platform report(s) give") {
		t.Fatalf("verify --recheck of the image's own report (and the index's, derived from it): %d\n%s", code, out)
	}
	// The build signs its report ungated; verify holds it to --fail-on, high by default.
	if code, out := verify(honest); code != exitFail || !strings.Contains(out, "checks failing at or above high: HX-USER-ROOT (high)") {
		t.Fatalf("verify of a report with HX-USER-ROOT failing: %d\n%s", code, out)
	}
	// Without --recheck the signature alone holds; with it, the claim is held to the bytes.
	if code, out := verify(lying, "--fail-on", "none"); code != exitPass {
		t.Fatalf("verify of a signed report: %d %s", code, out)
	}
	code, out := verify(lying, "--recheck", "--fail-on", "none")
	if code != exitFail || !strings.Contains(out, "no longer matches the image: HX-USER-ROOT: signed pass, now fail") {
		t.Fatalf("verify --recheck of another image's report: %d\n%s", code, out)
	}
	if code, out := verify(lying, "--fail-on", "severe"); code != exitUsage || !strings.Contains(out, "--fail-on") {
		t.Fatalf("a bad --fail-on: %d %s", code, out)
	}
}
