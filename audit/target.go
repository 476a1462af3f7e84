package audit

import (
	"context"
	"io"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// Target is one image as the checks see it: a merged filesystem and a config, and, when the
// source has them, its layers and what the registry or layout knows of it.
type Target struct {
	// Name is the image as the user named it (a reference, a path); Digest its manifest digest.
	Name   string
	Digest string
	// IndexDigest is the digest of the index the image was picked from, when there was one:
	// a base label may name either.
	IndexDigest string
	Config      *dockerspec.DockerOCIImage
	FS          FS
	// Layers is nil when the source has no layer data (a build in progress); the checks that
	// need it are then skipped.
	Layers Layers
	// CompressedSize is the sum of the layer blobs' sizes, 0 when unknown.
	CompressedSize int64
	Attestations   Attestations
}

// Attestations are the in-toto statements attached to an image in its index.
type Attestations struct {
	// Known is false when the source cannot tell (a docker-save tarball, a build in progress).
	Known          bool
	PredicateTypes []string
	// RunTest is the build's test of the image, from the check report attached to it.
	RunTest *RunTest
}

// Predicate types of the attestations BuildKit attaches.
const (
	PredicateSPDX       = "https://spdx.dev/Document"
	PredicateCycloneDX  = "https://cyclonedx.org/bom"
	PredicateSLSA1      = "https://slsa.dev/provenance/v1"
	PredicateSLSA02     = "https://slsa.dev/provenance/v0.2"
	predicateSLSAPrefix = "https://slsa.dev/provenance/"
)

// Layers streams an image's layers, bottom first, as their tars hold them. A build can satisfy
// it from per-step diffs; when it cannot, Target.Layers stays nil.
type Layers interface {
	// Walk calls fn for every entry of every layer in tar order. content reads a regular file's
	// bytes (it is nil for anything else, and for hard links) and is valid only during the call.
	Walk(ctx context.Context, fn func(layer int, e LayerEntry, content io.Reader) error) error
}

// LayerEntry is one entry of a layer's tar, its path made absolute and cleaned.
type LayerEntry struct {
	Entry
	// Whiteout says the layer deletes Path from the layers below; Opaque that it hides
	// everything below in the directory Path.
	Whiteout bool
	Opaque   bool
	// Hardlink says the entry is a hard link to Linkname.
	Hardlink bool
}
