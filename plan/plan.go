package plan

import (
	"fmt"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// New is the plan of a validated spec for a target platform, built on the build platform. files
// are the context files the language reads (nil before they are read: the plan is then the one the
// spec alone asks for). Errors come in the order the build meets them: builder, base, libs.
func New(s *spec.Spec, files llb.Files, target, build ocispecs.Platform) (llb.Plan, error) {
	lang, ok := llb.Lookup(s.Language)
	if !ok {
		return llb.Plan{}, fmt.Errorf("language %q is not supported; write one of: %s", s.Language, strings.Join(llb.Languages(), ", "))
	}
	_, appDir := lang.(llb.Runtime)
	_, inContext := lang.(llb.ContextArtifacts)
	p := llb.Plan{
		Language:           s.Language,
		Entrypoint:         llb.Entrypoint(s),
		AppDir:             appDir,
		ArtifactsInContext: inContext,
		ArtifactsAsIs:      s.Language == "static" || s.Language == "node",
		BaseNeedsFiles:     llb.BaseNeedsFiles(s),
		Build: func(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
			if d, ok := lang.(llb.Dependencies); ok {
				st, deps, err := d.BuildDeps(in)
				return st, &deps, err
			}
			st, err := lang.Build(in)
			return st, nil, err
		},
	}
	var err error
	if p.Builder, err = lang.Builder(s, files, target, build); err != nil {
		return llb.Plan{}, err
	}
	base, hasBase, err := llb.BaseImage(s, files, target)
	if err != nil {
		return llb.Plan{}, err
	}
	if hasBase {
		p.Base = &base
	}
	if len(s.Runtime.Libs) > 0 {
		libs, onBuilder, err := llb.LibsImage(s, base, p.Builder, target)
		if err != nil {
			return llb.Plan{}, err
		}
		p.Libs, p.LibsOnBuilder = &libs, onBuilder
	}
	return p, nil
}

// Early is the plan the spec makes before the context files are read, for the images to resolve
// while they are: each request that can be made without them, the others left empty (the files
// may make a request another, so the build's own plan has the last word).
func Early(s *spec.Spec, target, build ocispecs.Platform) llb.Plan {
	lang, ok := llb.Lookup(s.Language)
	if !ok {
		return llb.Plan{Language: s.Language}
	}
	p := llb.Plan{Language: s.Language, BaseNeedsFiles: llb.BaseNeedsFiles(s)}
	if req, err := lang.Builder(s, nil, target, build); err == nil {
		p.Builder = req
	}
	if req, hasBase, err := llb.BaseImage(s, nil, target); err == nil && hasBase {
		p.Base = &req
	}
	return p
}
