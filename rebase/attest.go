package rebase

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
)

// What BuildKit writes for attestations, which hardened check, sign and verify read.
const (
	statementType       = "https://in-toto.io/Statement/v0.1"
	intotoLayer         = "application/vnd.in-toto+json"
	attestationArtifact = "application/vnd.docker.attestation.manifest.v1+json"
	predicateAnnotation = "in-toto.io/predicate-type"
	// ProvenanceBuildType is the SLSA build type of a rebase's provenance.
	ProvenanceBuildType = "https://github.com/hardenedbuild/hardened/rebase/v1"
)

// Version is written in the provenance's builder; the command sets it.
var Version = "dev"

// attest makes the platform image's attestation manifest: the check report run on the new image (as the
// build runs it, at the image's epoch), the SPDX SBOMs (imageSBOM: the new base's packages with the app's
// own; the builder stage's as it was), and a SLSA provenance naming the original image and the new base.
func attest(ctx context.Context, out *rebased, s source, res *Result, tag name.Reference) (v1.Image, error) {
	t := out.target
	epoch := t.Config.Created
	var opts []audit.Option
	if epoch != nil {
		opts = append(opts, audit.WithTime(*epoch))
	}
	report, err := audit.ReportJSON(ctx, t.FS, t.Config, t.Layers, append(opts, audit.NoGate())...)
	if err != nil {
		return nil, err
	}
	created := time.Unix(0, 0).UTC()
	if epoch != nil {
		created = *epoch
	}
	doc, builderDoc, err := imageSBOM(ctx, t, s, created)
	if err != nil {
		return nil, err
	}
	prov, err := json.Marshal(provenance(s, res))
	if err != nil {
		return nil, err
	}
	subject := []map[string]any{{"name": tag.Context().String(), "digest": map[string]string{"sha256": trimSHA(out.info.Digest)}}}
	var descs []ocispecs.Descriptor
	layers := map[v1.Hash]partial.CompressedLayer{}
	preds := []predicate{{audit.PredicateType, report}, {audit.PredicateSPDX, doc}}
	if builderDoc != nil { // the builder stage did not change: its document is carried as it is
		preds = append(preds, predicate{audit.PredicateSPDX, builderDoc})
	}
	for _, p := range append(preds, predicate{audit.PredicateSLSA1, prov}) {
		st, err := json.Marshal(map[string]any{"_type": statementType, "predicateType": p.pt, "subject": subject, "predicate": json.RawMessage(p.pred)})
		if err != nil {
			return nil, err
		}
		b := blob{data: st, mt: intotoLayer}
		h, _ := b.Digest()
		layers[h] = b
		descs = append(descs, ocispecs.Descriptor{MediaType: intotoLayer, Digest: digest.Digest(h.String()), Size: int64(len(st)),
			Annotations: map[string]string{predicateAnnotation: p.pt}})
	}
	d, err := out.img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := out.img.Size()
	if err != nil {
		return nil, err
	}
	emptyJSON := []byte("{}")
	m := ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, ArtifactType: attestationArtifact, Layers: descs,
		Config:  ocispecs.Descriptor{MediaType: ocispecs.MediaTypeEmptyJSON, Digest: digest.FromBytes(emptyJSON), Size: 2, Data: emptyJSON},
		Subject: &ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageManifest, Digest: digest.Digest(d.String()), Size: size}}
	m.SchemaVersion = 2
	return newRawImage(m, emptyJSON, layers)
}

// predicate is one statement's predicate and its type.
type predicate struct {
	pt   string
	pred []byte
}

// provenance is a SLSA v1 predicate: the rebase, its inputs (the image as built, the new base) and the
// tool. It has no times and no invocation id, so the same rebase attests the same bytes.
func provenance(s source, res *Result) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          ProvenanceBuildType,
			"externalParameters": map[string]any{"image": s.ref.String(), "base": res.BaseName, "platform": s.platform.String()},
			"resolvedDependencies": []map[string]any{
				{"uri": "pkg:docker/" + s.ref.Context().String() + "?platform=" + s.platform.String(), "digest": map[string]string{"sha256": trimSHA(s.digest)}},
				{"uri": "pkg:docker/" + res.BaseName, "digest": map[string]string{"sha256": trimSHA(res.BaseDigest)}},
			},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://github.com/hardenedbuild/hardened/cmd/hardened@" + Version}},
	}
}

// index is the pushed index: each platform image with its attestation manifest, as BuildKit lays them out.
func index(outs []rebased) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for _, o := range outs {
		p := o.platform
		adds = append(adds, mutate.IndexAddendum{Add: o.img, Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &p}})
	}
	for _, o := range outs {
		adds = append(adds, mutate.IndexAddendum{Add: o.att, Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1,
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.digest": o.info.Digest, "vnd.docker.reference.type": "attestation-manifest"}}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

func trimSHA(d string) string { return strings.TrimPrefix(d, "sha256:") }
