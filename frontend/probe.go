package frontend

import (
	"context"
	"path"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/frontend/tool"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// probeName is the health probe's file name in the frontend image, beside the frontend binary
// (/bin in frontend.Dockerfile's image, /app in the one hardened.yaml builds).
const probeName = "hardened-probe"

// probeSource is where the final stage takes the healthcheck.http probe from: the frontend's own image for
// the target platform. nil without healthcheck.http; an error at the spec's line when the build cannot
// read that image, since the HEALTHCHECK would then run a file the image does not have.
func (b *build) probeSource(ctx context.Context, target ocispecs.Platform) (*hllb.ProbeSource, error) {
	if h := b.spec.Healthcheck; h == nil || h.HTTP == nil {
		return nil, nil
	}
	var st *bkllb.State
	if platformString(target) == platformString(b.buildPlatform) {
		self, err := b.self(ctx)
		if err != nil {
			return nil, err
		}
		st = self
	} else {
		st = frontendImageFor(ctx, b, target)
	}
	if st == nil {
		why := "the frontend runs without an image of its own (no source option) to take the probe from"
		if platformString(target) != platformString(b.buildPlatform) {
			why = "the frontend image has no " + platformString(target) + " variant to take the probe from"
		}
		err := spec.Errors{{File: b.spec.File(), Pos: b.spec.Pos("healthcheck.http"), Field: "healthcheck.http", Msg: why,
			Hint: "run the frontend from its published image (# syntax=ghcr.io/hardenedbuild/hardened:1), or write test: [...] with a command of your own"}}
		return nil, withSpecSource(err, b.src)
	}
	return &hllb.ProbeSource{State: *st, Path: path.Join(path.Dir(tool.Binary), probeName)}, nil
}

// frontendImageFor resolves the frontend image named by the source option for another platform than the
// build's; nil when there is no such option or the image has no variant for it.
func frontendImageFor(ctx context.Context, b *build, platform ocispecs.Platform) *bkllb.State {
	source := b.c.BuildOpts().Opts["source"]
	named, err := reference.ParseNormalizedNamed(source)
	if source == "" || err != nil {
		return nil
	}
	ref := reference.TagNameOnly(named).String()
	_, dgst, _, err := b.c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &platform}})
	if err != nil || dgst == "" {
		return nil
	}
	st := bkllb.Image(pin(ref, dgst), bkllb.Platform(platform), bkllb.WithCustomName("[internal] the frontend image for "+platformString(platform)+", for the health probe"))
	return &st
}
