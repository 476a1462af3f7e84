package llb

import (
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// distrolessRepo is where the final-stage bases come from; a registry mirror or a
// named context can stand in for it without changing the name.
const distrolessRepo = "gcr.io/distroless/"

// BaseImage decides the final stage's base image; ok is false for scratch.
func BaseImage(s *spec.Spec, target ocispecs.Platform) (req ImageRequest, ok bool) {
	variant := s.Base
	if variant == "" {
		variant = "static"
		if s.CGO {
			variant = "base"
		}
	}
	if variant == "scratch" {
		return ImageRequest{}, false
	}
	return ImageRequest{
		Ref:      distrolessRepo + variant + "-debian12:nonroot",
		Role:     "base",
		Platform: target,
		Field:    "base",
	}, true
}
