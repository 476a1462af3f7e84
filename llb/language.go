package llb

import (
	"sort"

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
	// Builder names the builder image and the platform it runs on.
	Builder(s *spec.Spec, files Files, target, build ocispecs.Platform) (ImageRequest, error)
	// Build returns the builder's root filesystem with every artifact at /out/<name>.
	Build(in *BuildInput) (bkllb.State, error)
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
	// Locate attaches the spec position of a field path to an op.
	Locate func(path string) bkllb.ConstraintsOpt
	// Network goes on every step that downloads (proxy settings of the build).
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

// Languages lists the supported language names, sorted.
func Languages() []string {
	names := make([]string, 0, len(languages))
	for n := range languages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
