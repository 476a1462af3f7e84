package golang

import (
	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/llb"
)

// GoCache is the builder's GOCACHE: the shared build cache mount's place, and the dependency layer's.
const GoCache = "/root/.cache/go-build"

// sourceState is the context without the files that decide the build (the spec and its lock), in a
// snapshot of its own, so a comment edited in the spec re-runs no step.
func sourceState(in *llb.BuildInput) bkllb.State {
	return bkllb.Scratch().File(bkllb.Copy(in.Context, "/", "/", &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		ExcludePatterns:     in.SourceExcludes(),
	}), bkllb.WithCustomName("the source, without the spec and its lock"), in.Locate("language"))
}
