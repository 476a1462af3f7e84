package llb

import (
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// Deps is where a language's dependency tree is (node_modules, a virtualenv), installed from the
// manifests alone and copied apart so a source change leaves it cached: the path Src of State, shipped at
// /app/<Dest> (and laid out at /out/<Dest> before build.steps, which see the whole app there). Root, when
// set, ships the tree at that absolute path outside /app instead (a runtime made for the app, as Java's
// jlink'd JRE), where build.steps do not see it.
type Deps struct {
	State     bkllb.State
	Src, Dest string
	Root      string
}

// Target is where the tree is in the final image.
func (d Deps) Target() string {
	if d.Root != "" {
		return d.Root
	}
	return ArtifactDir + "/" + d.Dest
}

// Files holds context files by their slash path relative to the context root.
type Files map[string][]byte

// BuildInput is what a language's Build gets to build with.
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
