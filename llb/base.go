package llb

import (
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// distrolessRepo is where the final-stage bases come from; a registry mirror or a
// named context can stand in for it without changing the name.
const distrolessRepo = "gcr.io/distroless/"

// DistrolessBase is the base of a language whose artifacts are executables: the spec's base:, else
// static, or base (glibc) for cgo or runtime.libs; an empty request for scratch. It reads the spec's
// runtime.libs, not the plan's list, which is made after the base: a language whose runtime adds
// packages (Layout.RuntimeLibs) chooses a glibc base itself, as Java's cc.
func DistrolessBase(s *spec.Spec, target ocispecs.Platform) ImageRequest {
	variant := s.Base
	if variant == "" {
		variant = "static"
		if s.CGO || len(s.Runtime.Libs) > 0 {
			// glibc, which cgo binaries and Debian's libraries need
			variant = "base"
		}
	}
	if variant == "scratch" {
		return ImageRequest{}
	}
	return Distroless(s, variant, target, "base")
}

// Distroless is the request for the nonroot tag of a distroless image ("static", "nodejs24",
// "python3", ...) of the spec's Debian release, chosen by the spec field named: every final base is
// one of these.
func Distroless(s *spec.Spec, image string, target ocispecs.Platform, field string) ImageRequest {
	return ImageRequest{
		Ref:      distrolessRepo + image + "-debian" + DebianOf(s).Version + ":nonroot",
		Role:     "base",
		Platform: target,
		Field:    field,
	}
}
