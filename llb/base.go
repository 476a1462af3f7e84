package llb

import (
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// distrolessRepo is where the final-stage bases come from; a registry mirror or a
// named context can stand in for it without changing the name.
const distrolessRepo = "gcr.io/distroless/"

// BaseImage decides the final stage's base image; ok is false for scratch. A Runtime language
// picks its own.
func BaseImage(s *spec.Spec, files Files, target ocispecs.Platform) (req ImageRequest, ok bool, err error) {
	if r, isRuntime := languages[s.Language].(Runtime); isRuntime {
		req, err := r.Base(s, files, target)
		return req, err == nil, err
	}
	variant := s.Base
	if variant == "" {
		variant = "static"
		if s.CGO || len(s.Runtime.Libs) > 0 {
			// glibc, which cgo binaries and Debian's libraries need
			variant = "base"
		}
	}
	if variant == "scratch" {
		return ImageRequest{}, false, nil
	}
	return Distroless(s, variant, target, "base"), true, nil
}

// BaseFromSpec is implemented by a Runtime language whose Base may read the spec alone: when
// BaseReadsNoFiles says so for a spec, Base gives the same answer without the context files, and the
// frontend resolves the base (and lists its setuid/setgid files) while it reads them.
type BaseFromSpec interface {
	BaseReadsNoFiles(s *spec.Spec) bool
}

// BaseNeedsFiles reports whether the spec's base depends on the context files (a version in package.json,
// pom.xml, Cargo.toml); when it does not, BaseImage gives the same answer without them.
func BaseNeedsFiles(s *spec.Spec) bool {
	r, isRuntime := languages[s.Language].(Runtime)
	if !isRuntime {
		return false
	}
	b, fromSpec := r.(BaseFromSpec)
	return !fromSpec || !b.BaseReadsNoFiles(s)
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
