package frontend

import (
	"context"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/frontend/tool"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// The self-check holds the image to its guarantees (audit.Guarantees: no setuid/setgid file, a non-root
// user, an exec-form entrypoint that is in the image) without a container start on every build:
//
//   - the base's setuid/setgid files are listed by a build step of the frontend's own image with the base
//     mounted read-only and no network (`tool special`). BuildKit caches that step by the two images'
//     digests, so it runs once per base, while the builder works, and a rebuild reads one small file. The
//     files it lists are copied onto themselves without the bits in one layer on top of the image
//     (llb.StripSetuid), so the base's own layers stay the original image's;
//   - what the build adds on the base is proven free of the bits from the final stage's definition
//     (llb.AddsNoSetuid: file operations only, every copy clearing the bits);
//   - the config guarantees are checked on the result through the gateway, reading only the directories
//     on the entrypoint's and /etc/passwd's paths (audit.VerifyConfig).
//
// When the proof does not hold (a definition it does not know), or when the build writes the check report
// (an attestation, which covers every check on every file), a step of the frontend's own image walks the
// whole built tree instead (`tool verify`): it clears every bit it finds, checks the guarantees on what is
// left and writes what it found; the image shipped is then the tree it left. Without its own image (no
// "source" option, or it does not resolve) the frontend reads the base and the result through the gateway.

// currentFrontend is what a gateway client says of the image it runs from: grpcclient reads the definition
// BuildKit solved to start the frontend (mounted into its container), nil when there is none.
type currentFrontend interface {
	CurrentFrontend() (*bkllb.State, error)
}

// selfImage is the frontend's own image pinned by digest, for the tool steps; nil when the build does not say
// which image runs it. It is the image BuildKit started the frontend from, as BuildKit solved it (no round trip,
// and the very image that runs, even if its tag has moved since), else the source option's tag resolved on the
// build platform.
func selfImage(ctx context.Context, c gwclient.Client, buildPlatform ocispecs.Platform) *bkllb.State {
	if cf, ok := c.(currentFrontend); ok {
		if st, err := cf.CurrentFrontend(); err == nil && st != nil {
			return st
		}
	}
	source := c.BuildOpts().Opts["source"]
	if source == "" {
		return nil
	}
	named, err := reference.ParseNormalizedNamed(source)
	if err != nil {
		return nil
	}
	ref := reference.TagNameOnly(named).String()
	_, dgst, _, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &buildPlatform},
	})
	if err != nil || dgst == "" {
		return nil
	}
	st := bkllb.Image(pin(ref, dgst), bkllb.Platform(buildPlatform), bkllb.WithCustomName("[internal] the frontend image, for its checks"))
	return &st
}

// listSpecial starts the base's special step now, on the build platform, and returns the wait for its
// answer; stop cancels the step if it is still running (the build failed before it needed the answer).
func (p *platformBuild) listSpecial(ctx context.Context, base bkllb.State) (wait func() ([]hllb.SpecialFile, error), stop func()) {
	wait, stop = background(ctx, func(ctx context.Context) ([]hllb.SpecialFile, error) {
		res, err := p.runTool(ctx, tool.SpecialStep(*p.self(), base, p.locate("base")), p.buildPlatform)
		if err != nil {
			return nil, wrapf(err, "listing the base's setuid/setgid files")
		}
		return res.Special, nil
	})
	return wait, stop
}

// runTool solves a tool step on the build platform and reads its result.
func (p *platformBuild) runTool(ctx context.Context, st bkllb.State, buildPlatform ocispecs.Platform) (*tool.Result, error) {
	ref, err := p.solve(ctx, st, buildPlatform)
	if err != nil {
		return nil, err
	}
	dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: tool.ResultFile})
	if err != nil {
		return nil, err
	}
	return tool.ReadResult(dt)
}

// checkApp starts the app check of final and returns the wait for its verdict. Without the frontend's own
// image /app is read through the gateway, and the secrets' values, which only a step can see, are not searched.
func (p *platformBuild) checkApp(ctx context.Context, final bkllb.State, target ocispecs.Platform) (wait func() error, stop func()) {
	w, stop := background(ctx, func(ctx context.Context) (struct{}, error) {
		var vs []audit.Violation
		if self := p.self(); self != nil {
			res, err := p.runTool(ctx, tool.AppStep(*self, final, p.spec, p.locate("artifacts")), p.buildPlatform)
			if err != nil {
				return struct{}{}, wrapf(err, "checking %s", hllb.ArtifactDir)
			}
			vs = res.Violations
		} else {
			ref, err := p.solve(ctx, final, target)
			if err != nil {
				return struct{}{}, err
			}
			if vs, err = tool.AppViolations(ctx, gatewayFS{ref}, hllb.ArtifactDir); err != nil {
				return struct{}{}, wrapf(err, "reading %s", hllb.ArtifactDir)
			}
		}
		if len(vs) == 0 {
			return struct{}{}, nil
		}
		at := p.spec.Pos("artifacts")
		if vs[0].Check == tool.CheckBuildSecrets {
			at = p.spec.Pos("build.secrets")
		}
		return struct{}{}, withSpecSource(&audit.VerifyError{Violations: vs}, p.src, at)
	})
	return func() error { _, err := w(); return err }, stop
}
