package llb

import (
	"sort"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// Language builds a spec's artifacts in a builder stage.
type Language interface {
	// Name is the spec's language value.
	Name() string
	// ContextFiles names the build-context files Builder and Build read (missing ones are fine).
	ContextFiles() []string
	// Builder names the builder image and the platform it runs on; an empty Ref means the
	// language needs no builder image (Build then works from the context alone).
	Builder(s *spec.Spec, files Files, target, build ocispecs.Platform) (ImageRequest, error)
	// Build returns the builder's root filesystem with every artifact at /out/<name>.
	Build(in *BuildInput) (bkllb.State, error)
}

// Validator is implemented by languages with rules of their own; SpecOptions hands them to
// spec.Load, so the frontend and `hardened lint` report them with the rest.
type Validator interface {
	Validate(s *spec.Spec) spec.Errors
}

// Runtime is implemented by languages whose program runs on an interpreter the final base
// provides. Build then leaves the whole application directory at /out, which the final stage
// copies to /app as it is, instead of one executable per artifact.
type Runtime interface {
	// Base is the final stage's base image: the language's distroless runtime.
	Base(s *spec.Spec, files Files, target ocispecs.Platform) (ImageRequest, error)
	// Entrypoint is the exec-form entrypoint when the spec has none.
	Entrypoint(s *spec.Spec) []string
}

// Dependencies is implemented by Runtime languages whose app runs beside a dependency tree
// installed from the manifest and lock files (node_modules, a virtualenv). BuildDeps is Build
// that also says where the tree is: it leaves the tree at Src, where no later step changes it,
// and only the app at /out. The final stage copies the tree from the step that made it: after a
// source change that step is cached and BuildKit has its content hash, where a tree copied into
// a new /out would be hashed anew, every file read.
type Dependencies interface {
	BuildDeps(in *BuildInput) (bkllb.State, Deps, error)
}

// Deps is where a Dependencies language's tree is: the path Src of State, shipped at
// /app/<Dest> (and laid out at /out/<Dest> before build.steps, which see the whole app there).
type Deps struct {
	State     bkllb.State
	Src, Dest string
}

// ContextArtifacts is implemented by languages whose artifacts are paths of the build context
// (packages, prebuilt files, app files): the frontend checks each one is in the context, is
// no symlink out of it and no device, pipe or socket, before anything is built.
type ContextArtifacts interface {
	ArtifactsInContext()
}

// Files holds context files by their slash path relative to the context root.
type Files map[string][]byte

// BuildInput is what a Language gets to build with.
type BuildInput struct {
	Spec    *spec.Spec
	Files   Files
	Builder Image
	Context bkllb.State
	Target  ocispecs.Platform
	// CacheNS is BUILDKIT_CACHE_MOUNT_NS; see CacheMount.
	CacheNS string
	// Epoch is SOURCE_DATE_EPOCH, for tools that stamp their output (nil: none given).
	Epoch *time.Time
	// Locate attaches the spec position of a field path to an op.
	Locate func(path string) bkllb.ConstraintsOpt
	// Network goes on every step that downloads: the build's proxy settings and the spec's
	// build secrets and SSH agents (see fetch).
	Network bkllb.RunOption
}

var languages = map[string]Language{}

// register adds a language; each language file calls it from init.
func register(l Language) { languages[l.Name()] = l }

// Lookup returns the language named in a spec.
func Lookup(name string) (Language, bool) {
	l, ok := languages[name]
	return l, ok
}

// SpecOptions are the options spec.Load needs to accept exactly the languages this package
// builds, with each language's own rules.
func SpecOptions() []spec.Option {
	return []spec.Option{spec.WithLanguages(Languages()...), spec.WithCheck(validate), spec.WithCheck(secretValues)}
}

// validate runs the spec's language's own rules, if it has any.
func validate(s *spec.Spec) spec.Errors {
	if v, ok := languages[s.Language].(Validator); ok {
		return v.Validate(s)
	}
	return nil
}

// Languages lists the supported language names, sorted.
func Languages() []string {
	names := make([]string, 0, len(languages))
	for n := range languages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
