package llb

import (
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// Plan is what a spec asks of one target platform before any image is resolved: the images, the
// entrypoint, how /app is laid out and the language's builder stage. It is computed once (package
// plan) and read by the frontend, the lock target, `hardened dockerfile` and `hardened init`.
type Plan struct {
	// Language is the spec's language.
	Language string
	// Builder is the builder image; an empty Ref means the language builds from the context alone.
	Builder ImageRequest
	// Base is the final stage's base; nil means scratch.
	Base *ImageRequest
	// RuntimeLibs are the Debian packages the runtime-libs stage installs: the spec's runtime.libs,
	// then those the language's runtime needs (Java's linked JRE: zlib1g); nil: no stage.
	RuntimeLibs []string
	// Libs is the image the runtime-libs stage runs on; nil without RuntimeLibs. LibsOnBuilder says
	// it is the builder image, which is then resolved once.
	Libs          *ImageRequest
	LibsOnBuilder bool
	// Entrypoint is the image's exec-form entrypoint: the spec's, else the language's.
	Entrypoint []string
	// ArtifactNames are the artifacts' names under /app, in the spec's order (nil: each artifact's
	// last element, spec.ArtifactName).
	ArtifactNames []string
	// Env is the image's environment: the language's defaults with the spec's env over them (nil:
	// the spec's env).
	Env map[string]string
	// AppDir says the builder lays the whole app out at OutDir, copied onto /app as it is (an
	// interpreter's app), instead of one executable per artifact.
	AppDir bool
	// ArtifactsInContext says artifacts are paths of the build context, checked before the build;
	// ArtifactsAsIs that they reach the image as they are there (their modes are checked too).
	ArtifactsInContext bool
	ArtifactsAsIs      bool
	// BaseNeedsFiles says the base depends on the context files; without them the plan's Base is
	// the one the spec alone asks for, which may change once they are read.
	BaseNeedsFiles bool
	// Build makes the builder stage: the root with every artifact at OutDir and, for a dependency
	// tree installed from the manifests alone, where that tree is (nil: none).
	Build func(in *BuildInput) (bkllb.State, *Deps, error)
	// Includes finds the project files' references outside the build context (nil: none).
	Includes func(Files) []Include
}

// Images are the images the plan resolves, each once: what a lock pins.
func (p Plan) Images() []ImageRequest {
	var reqs []ImageRequest
	if p.Builder.Ref != "" {
		reqs = append(reqs, p.Builder)
	}
	if p.Base != nil {
		reqs = append(reqs, *p.Base)
	}
	if p.Libs != nil && !p.LibsOnBuilder {
		reqs = append(reqs, *p.Libs)
	}
	return reqs
}

// DebugBase is the debug target's base: the :debug-nonroot variant of the plan's. Scratch has none.
func (p Plan) DebugBase(s *spec.Spec) (ImageRequest, error) {
	if p.Base == nil {
		return ImageRequest{}, spec.Errors{{File: s.File(), Pos: s.Pos("base"), Field: "base",
			Msg: "the debug target needs a shell, and scratch has none", Hint: "build the debug target with base: static (or base, cc)"}}
	}
	return DebugBase(*p.Base)
}

// LockedRef is the reference a lock pins for req, looked up under the platform key (the target
// the lock's entries are recorded for), or an error naming the entry when the spec asks for an
// image the lock does not cover. Every reader of a lock asks here.
func LockedRef(l *lockfile.Lock, platform string, req ImageRequest) (string, error) {
	ref, dgst, ok := l.Entry(platform, req.Role)
	if !ok {
		return "", fmt.Errorf("%s has no entry images.%s.%s for %s; the spec changed since it was written: run `hardened lock`", lockfile.Filename, platform, req.Role, req.Ref)
	}
	if ref != req.Ref {
		return "", fmt.Errorf("%s pins images.%s.%s to %s but the spec now asks for %s: run `hardened lock`", lockfile.Filename, platform, req.Role, ref, req.Ref)
	}
	return ref + "@" + dgst, nil
}
