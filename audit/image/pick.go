package image

import (
	"fmt"
	"io"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hardenedbuild/hardened/audit"
)

// Annotations BuildKit puts on attestation manifests and their layers.
const (
	annotationRefType       = "vnd.docker.reference.type"
	annotationRefDigest     = "vnd.docker.reference.digest"
	refTypeAttestation      = "attestation-manifest"
	annotationPredicateType = "in-toto.io/predicate-type"
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerd    = "io.containerd.image.name"
	maxIndexDepth           = 4
)

// indexReader is what picking an image needs of an index, remote or from a layout.
type indexReader interface {
	IndexManifest() (*v1.IndexManifest, error)
	Image(v1.Hash) (v1.Image, error)
	child(v1.Hash) (indexReader, error)
}

// remoteIndex adapts go-containerregistry's index.
type remoteIndex struct{ idx v1.ImageIndex }

func (r remoteIndex) IndexManifest() (*v1.IndexManifest, error) { return r.idx.IndexManifest() }
func (r remoteIndex) Image(h v1.Hash) (v1.Image, error)         { return r.idx.Image(h) }

func (r remoteIndex) child(h v1.Hash) (indexReader, error) {
	ii, err := r.idx.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return remoteIndex{ii}, nil
}

// picked is the image chosen from an index, and what the index says of it.
type picked struct {
	img          v1.Image
	digest       v1.Hash
	indexDigest  v1.Hash
	attestations audit.Attestations
}

func isIndex(mt types.MediaType) bool {
	return mt == types.OCIImageIndex || mt == types.DockerManifestList
}
func isImage(mt types.MediaType) bool {
	return mt == types.OCIManifestSchema1 || mt == types.DockerManifestSchema2
}
func attestation(d v1.Descriptor) bool { return d.Annotations[annotationRefType] == refTypeAttestation }

// pick chooses the image for platform in an index, descending into nested indexes; tag, when
// set, selects a top-level entry by its ref name (an OCI layout's tag).
func pick(x indexReader, platform v1.Platform, tag string, self v1.Hash, depth int) (*picked, error) {
	if depth > maxIndexDepth {
		return nil, fmt.Errorf("indexes nested more than %d deep", maxIndexDepth)
	}
	m, err := x.IndexManifest()
	if err != nil {
		return nil, err
	}
	candidates := imageEntries(m, tag)
	if tag != "" && len(candidates) == 0 {
		return nil, fmt.Errorf("no image tagged %q in the layout (it has %s)", tag, refNames(m))
	}
	chosen, err := choose(candidates, platform)
	if err != nil {
		if n := refNames(m); tag == "" && n != "no tags" && len(candidates) > 1 {
			return nil, fmt.Errorf("%d images; name one with oci:PATH:TAG (it has %s)", len(candidates), n)
		}
		return nil, err
	}
	if isIndex(chosen.MediaType) {
		child, err := x.child(chosen.Digest)
		if err != nil {
			return nil, err
		}
		return pick(child, platform, "", chosen.Digest, depth+1)
	}
	img, err := x.Image(chosen.Digest)
	if err != nil {
		return nil, err
	}
	atts, err := attestationsOf(x, m, chosen.Digest)
	if err != nil {
		return nil, err
	}
	return &picked{img: img, digest: chosen.Digest, indexDigest: self, attestations: atts}, nil
}

// imageEntries are the index's entries that may be the image: images and indexes, not
// attestations or unknown platforms, and only those tagged tag when it is set.
func imageEntries(m *v1.IndexManifest, tag string) []v1.Descriptor {
	var candidates []v1.Descriptor
	for _, d := range m.Manifests {
		if attestation(d) || (d.Platform != nil && d.Platform.OS == "unknown") {
			continue
		}
		if tag != "" && !tagged(d, tag) {
			continue
		}
		if isIndex(d.MediaType) || isImage(d.MediaType) || d.MediaType == "" {
			candidates = append(candidates, d)
		}
	}
	return candidates
}

// attestationsOf reads what the index's attestation manifests for the image say: their
// predicate types and the build's test from the check report.
func attestationsOf(x indexReader, m *v1.IndexManifest, image v1.Hash) (audit.Attestations, error) {
	atts := audit.Attestations{Known: true}
	for _, d := range m.Manifests {
		if !attestation(d) || d.Annotations[annotationRefDigest] != image.String() {
			continue
		}
		att, err := x.Image(d.Digest)
		if err != nil {
			return atts, fmt.Errorf("attestation manifest %s: %w", d.Digest, err)
		}
		am, err := att.Manifest()
		if err != nil {
			return atts, fmt.Errorf("attestation manifest %s: %w", d.Digest, err)
		}
		for _, l := range am.Layers {
			if pt := l.Annotations[annotationPredicateType]; pt != "" {
				atts.PredicateTypes = append(atts.PredicateTypes, pt)
			}
			if l.Annotations[annotationPredicateType] == audit.PredicateType && atts.RunTest == nil {
				atts.RunTest = attachedRunTest(att, l.Digest)
			}
		}
	}
	sort.Strings(atts.PredicateTypes)
	return atts, nil
}

// maxReportBytes bounds the check report read from an attestation; a report is tens of kilobytes.
const maxReportBytes = 8 << 20

// attachedRunTest reads the build's test from the check report attached as a layer of an attestation
// manifest; nil when the layer does not read or holds no test.
func attachedRunTest(att v1.Image, dgst v1.Hash) *audit.RunTest {
	l, err := att.LayerByDigest(dgst)
	if err != nil {
		return nil
	}
	rc, err := l.Compressed() // an in-toto statement is stored as it is, not compressed
	if err != nil {
		return nil
	}
	defer rc.Close()
	dt, err := io.ReadAll(io.LimitReader(rc, maxReportBytes))
	if err != nil {
		return nil
	}
	return audit.AttestedRunTest(dt)
}

func tagged(d v1.Descriptor, tag string) bool {
	if d.Annotations[annotationRefName] == tag {
		return true
	}
	n := d.Annotations[annotationContainerd]
	return n == tag || strings.HasSuffix(n, ":"+tag)
}

func refNames(m *v1.IndexManifest) string {
	var names []string
	for _, d := range m.Manifests {
		if n := d.Annotations[annotationRefName]; n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "no tags"
	}
	return "tags " + strings.Join(names, ", ")
}

// choose takes the only candidate, or the one for the platform.
func choose(ds []v1.Descriptor, platform v1.Platform) (v1.Descriptor, error) {
	switch len(ds) {
	case 0:
		return v1.Descriptor{}, fmt.Errorf("the index holds no image")
	case 1:
		return ds[0], nil
	}
	var have []string
	for _, d := range ds {
		if d.Platform == nil {
			have = append(have, "(no platform)")
			continue
		}
		if d.Platform.Satisfies(platform) {
			return d, nil
		}
		have = append(have, d.Platform.String())
	}
	return v1.Descriptor{}, fmt.Errorf("no image for %s in the index (it has %s); pick one with --platform", platform.String(), strings.Join(have, ", "))
}
