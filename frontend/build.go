package frontend

import (
	"context"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// DefaultFilename is read when the build names no file (buildctl without --opt filename).
const DefaultFilename = "hardened.yaml"

// Build is the gateway entry point: hardened.yaml in, a verified hardened image out.
func Build(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
	c = withDefaultFilename(c)
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "YAML")
	if err != nil {
		return nil, fmt.Errorf("reading the spec: %w", err)
	}
	s, loadErr := spec.Load(src.Filename, src.Data, spec.WithLanguages(hllb.Languages()...))
	if res, handled, err := bc.HandleSubrequest(ctx, subrequests(s, loadErr, src.SourceMap)); handled || err != nil {
		return res, err
	}
	if loadErr != nil {
		return nil, withSpecSource(loadErr, src.SourceMap)
	}
	lang, _ := hllb.Lookup(s.Language) // Load validated the name
	files, err := readContextFiles(ctx, bc, lang.ContextFiles())
	if err != nil {
		return nil, err
	}
	epoch, err := sourceDateEpoch(bc.BuildArgs)
	if err != nil {
		return nil, err
	}
	if epoch == nil {
		epoch = defaultEpoch(ctx, bc)
	}
	mainContext, err := bc.MainContext(ctx)
	if err != nil {
		return nil, err
	}

	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		buildPlatform := bc.BuildPlatforms[0]
		target := buildPlatform
		if platform != nil {
			target = *platform
		}
		p := &platformBuild{c: c, bc: bc, spec: s, src: src.SourceMap}

		breq, err := lang.Builder(s, files, target, buildPlatform)
		if err != nil {
			return nil, withSpecSource(err, src.SourceMap)
		}
		builder, err := p.resolve(ctx, breq)
		if err != nil {
			return nil, err
		}
		in := hllb.Inputs{
			Context:   *mainContext,
			Files:     files,
			Builder:   *builder,
			Target:    target,
			CacheNS:   bc.CacheIDNamespace,
			Epoch:     epoch,
			SourceMap: src.SourceMap,
			Proxy:     proxyEnv(bc.BuildArgs),
		}
		if breq, ok := hllb.BaseImage(s, target); ok {
			if in.Base, err = p.resolve(ctx, breq); err != nil {
				return nil, err
			}
			if in.BaseSpecial, err = p.specialFiles(ctx, in.Base.State, target); err != nil {
				return nil, err
			}
		}

		res, err := hllb.Convert(s, in)
		if err != nil {
			return nil, withSpecSource(err, src.SourceMap)
		}
		ref, err := p.solve(ctx, res.Final, target)
		if err != nil {
			return nil, err
		}
		if err := audit.Verify(ctx, gatewayFS{ref}, res.Image); err != nil {
			return nil, withSpecSource(err, src.SourceMap, s.Pos("artifacts"))
		}
		out := &dockerui.BuildResult{Reference: ref, Image: res.Image, Epoch: epoch}
		if in.Base != nil {
			out.BaseImage = in.Base.Config
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return rb.Finalize()
}

// platformBuild is the per-platform state of one Build call.
type platformBuild struct {
	c    gwclient.Client
	bc   *dockerui.Client
	spec *spec.Spec
	src  *bkllb.SourceMap
}

func (p *platformBuild) solve(ctx context.Context, st bkllb.State, target ocispecs.Platform) (gwclient.Reference, error) {
	def, err := st.Marshal(ctx, bkllb.Platform(target), bkllb.WithCaps(p.bc.BuildOpts().LLBCaps))
	if err != nil {
		return nil, err
	}
	r, err := p.c.Solve(ctx, gwclient.SolveRequest{
		Definition:   def.ToPB(),
		CacheImports: p.bc.CacheImports,
	})
	if err != nil {
		return nil, err
	}
	return r.SingleRef()
}
