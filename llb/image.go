package llb

import (
	bkllb "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageRequest names an image the build needs and the platform to resolve it for.
type ImageRequest struct {
	// Ref is the full reference, e.g. docker.io/library/golang:1.26-trixie.
	Ref string
	// Role is the short name a named context may use instead of Ref ("builder", "base").
	Role     string
	Platform ocispecs.Platform
	// Field is the spec field that chose this image, for error positions.
	Field string
}

// Image is a resolved image: a digest-pinned state and its config.
type Image struct {
	Ref string
	// Digest is the manifest (or index) digest the state is pinned to; empty for scratch.
	Digest digest.Digest
	State  bkllb.State
	Config *dockerspec.DockerOCIImage
}
