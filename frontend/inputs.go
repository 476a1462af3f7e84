package frontend

import (
	"context"
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/plan"
)

// What a platform's conversion takes: its plan, and the images and the build context it names, each
// resolved once through the build's jobs and prefetched as soon as what decides it is known.

// imageTargets are the platforms whose images are prefetched: the image target's (the debug target's
// base and the lock's resolutions are the build's own, made when it gets there).
func (b *build) imageTargets() []ocispecs.Platform {
	if b.bc.Target != "" && b.bc.Target != ImageTarget {
		return nil
	}
	if len(b.bc.TargetPlatforms) == 0 {
		return []ocispecs.Platform{b.buildPlatform}
	}
	return b.bc.TargetPlatforms
}

// prefetchEarly starts, while the context files are read, the images the spec asks for without them.
// A platform's build uses each one if the files leave its request as it was (a version a manifest names,
// or a build tool's image the manifests ask for, changes it). A base the spec alone decides also
// has its setuid/setgid files listed at once; others wait for the files that confirm them.
func (b *build) prefetchEarly() {
	for _, target := range b.imageTargets() {
		early := plan.Early(b.spec, target, b.buildPlatform)
		if early.Builder.Ref != "" {
			b.prefetchImage(early.Builder)
		}
		switch {
		case early.Base == nil:
		case early.BaseNeedsFiles:
			b.prefetchImage(*early.Base)
		default:
			b.prefetchBase(*early.Base)
		}
	}
}

// prefetchForFiles starts, once the context files are read and while the .dockerignore that may
// exclude some of them is, the images they ask for (and the listing of a base that needed them).
func (b *build) prefetchForFiles(files hllb.Files) {
	for _, target := range b.imageTargets() {
		pl, err := plan.New(b.spec, files, target, b.buildPlatform)
		if err != nil {
			continue // the platform's build reports it
		}
		if pl.Builder.Ref != "" {
			b.prefetchImage(pl.Builder)
		}
		if pl.Base != nil && pl.BaseNeedsFiles {
			b.prefetchBase(*pl.Base)
		}
	}
}

// plan is the target's plan from the spec and the context files; the debug target's base is the
// :debug-nonroot variant of the plan's.
func (b *build) plan(files hllb.Files, in *hllb.Inputs) (hllb.Plan, error) {
	pl, err := plan.New(b.spec, files, in.Target, b.buildPlatform)
	if err == nil && b.bc.Target == hllb.DebugTarget {
		var debug hllb.ImageRequest
		if debug, err = pl.DebugBase(b.spec); err == nil {
			pl.Base, in.Debug = &debug, true
		}
	}
	in.Plan = pl
	return pl, withSpecSource(err, b.src)
}

// resolveImages puts the plan's builder, base and runtime libs into in and returns the wait for the
// base's setuid/setgid list when a step makes it (nil otherwise). The builder's error is reported before
// the base's, so a build's message does not depend on which answer came first.
func (b *build) resolveImages(ctx context.Context, pl hllb.Plan, in *hllb.Inputs) (special func(context.Context) ([]hllb.SpecialFile, error), err error) {
	if pl.Libs != nil && !pl.LibsOnBuilder {
		b.prefetchImage(*pl.Libs)
	}
	if pl.Base != nil {
		b.prefetchBase(*pl.Base)
	}
	if pl.Builder.Ref != "" { // a language without a builder image works from the context alone
		builder, err := b.image(ctx, pl.Builder)
		if err != nil {
			return nil, err
		}
		in.Builder = *builder
	}
	if pl.Libs != nil {
		b.compileAhead(*in)
	}
	if pl.Base != nil {
		base, err := b.base(ctx, *pl.Base)
		if err != nil {
			return nil, err
		}
		in.Base, in.BaseSpecial, special = base.image, base.specialFiles, base.special
		check, err := b.selfCheck(ctx)
		if err != nil {
			return nil, err
		}
		// Only the walk leaves the base alone until the final stage: the proof's listing step and the
		// gateway's listing unpack it while the builder is pulled, and a prepare beside them would cost
		// every warm build a solve. Not with --cache-from, where the final stage may come whole.
		if _, walks := check.(toolWalk); walks && pl.Builder.Ref != "" && len(b.bc.CacheImports) == 0 {
			b.prepare(*in.Base, in.Target, "while the builder is pulled")
		}
	}
	if pl.Libs != nil {
		return special, b.libs(ctx, pl, in)
	}
	return special, nil
}

// compileAhead starts the builder's steps while the runtime-libs stage resolves: they do not need its
// packages, so the two run side by side (a cold Java build waited for apt, then compiled), and the
// conversion's solve finds the compile done or under way. Not with --cache-from, where the final
// stage may come from the cache whole, nor under --no-cache, where BuildKit shares no step between two
// solves and would run the compile twice at once; a conversion error is the conversion's to report.
func (b *build) compileAhead(in hllb.Inputs) {
	if len(b.bc.CacheImports) > 0 || b.bc.IsNoCache("") || in.Builder.Ref == "" {
		return
	}
	builder, deps, err := hllb.BuildStage(b.spec, in)
	if err != nil {
		return
	}
	b.solveAhead("compile", builder, in.Target)
	if deps != nil { // a tree apart from the builder (Java's JRE) is not in the builder's solve
		b.solveAhead("dependencies", deps.State, in.Target)
	}
}

// solveAhead starts building st now, as the build's job name for the target.
func (b *build) solveAhead(name string, st bkllb.State, target ocispecs.Platform) {
	prefetch(b.jobs, name+" "+platformString(target), func(ctx context.Context) (gwclient.Reference, error) {
		return b.solveAs(ctx, st, target, true)
	})
}

// libs resolves the runtime-libs stage on its image (the builder's when it can) and holds its packages
// to hardened.lock's.
func (b *build) libs(ctx context.Context, pl hllb.Plan, in *hllb.Inputs) error {
	img := &in.Builder
	if !pl.LibsOnBuilder {
		var err error
		if img, err = b.image(ctx, *pl.Libs); err != nil {
			return err
		}
	}
	var err error
	if in.Libs, err = b.runtimeLibs(ctx, *img, in, in.Target); err != nil {
		return err
	}
	lock, err := b.lock(ctx)
	if err != nil || lock == nil || in.Debug {
		return err
	}
	if err := checkLockedLibs(lock, platformString(in.Target), in.Libs.Packages); err != nil {
		return withSpecSource(err, b.src, b.spec.Pos("runtime.libs"))
	}
	return nil
}

// imageKey names an image request's job: requests equal in every field share one resolution.
func imageKey(req hllb.ImageRequest) string { return fmt.Sprintf("image %+v", req) }

func (b *build) image(ctx context.Context, req hllb.ImageRequest) (*hllb.Image, error) {
	return await(ctx, b.jobs, imageKey(req), func(ctx context.Context) (*hllb.Image, error) { return b.resolve(ctx, req) })
}

func (b *build) prefetchImage(req hllb.ImageRequest) {
	prefetch(b.jobs, imageKey(req), func(ctx context.Context) (*hllb.Image, error) { return b.resolve(ctx, req) })
}

// resolvedBase is a resolved base and what the self-check needs of it (selfCheck.listBase).
type resolvedBase struct {
	image *hllb.Image
	// specialFiles are the base's setuid/setgid files read through the gateway, without the frontend's
	// own image; special waits for the listing step's answer, with it.
	specialFiles []hllb.SpecialFile
	special      func(context.Context) ([]hllb.SpecialFile, error)
}

func (b *build) base(ctx context.Context, req hllb.ImageRequest) (*resolvedBase, error) {
	return await(ctx, b.jobs, "base "+imageKey(req), func(ctx context.Context) (*resolvedBase, error) { return b.resolveBase(ctx, req) })
}

func (b *build) prefetchBase(req hllb.ImageRequest) {
	prefetch(b.jobs, "base "+imageKey(req), func(ctx context.Context) (*resolvedBase, error) { return b.resolveBase(ctx, req) })
}

func (b *build) resolveBase(ctx context.Context, req hllb.ImageRequest) (*resolvedBase, error) {
	img, err := b.image(ctx, req)
	if err != nil {
		return nil, err
	}
	check, err := b.selfCheck(ctx)
	if err != nil {
		return nil, err
	}
	return check.listBase(ctx, imageKey(req), img, req.Platform)
}

// contextKey is the job that loads the build context; artifactsKey the check of the artifacts in it.
const (
	contextKey   = "load the build context"
	artifactsKey = "check the artifacts in the build context"
)

// loadContext loads the build context while the images resolve: in the build's own solve its transfer
// would wait for the builder image's source. The artifact check reads it from that load; every platform
// waits for the check before its solve.
func (b *build) loadContext(main bkllb.State) {
	b.main = main
	prefetch(b.jobs, contextKey, b.solveContext)
	if checksContext(b.spec) {
		prefetch(b.jobs, artifactsKey, b.checkArtifacts)
	}
}

func (b *build) checkArtifacts(ctx context.Context) (struct{}, error) {
	loaded := func() (gwclient.Reference, error) { return await(ctx, b.jobs, contextKey, b.solveContext) }
	return struct{}{}, withSpecSource(checkArtifacts(ctx, b.spec, loaded), b.src)
}

func (b *build) solveContext(ctx context.Context) (gwclient.Reference, error) {
	return solveRefAs(ctx, b.c, b.main, true) // evaluated: nothing reads it before the build's solve
}

// artifactsChecked waits for the check of the artifacts in the build context, for the languages whose
// artifacts are paths in it, and of runtime.files.
func (b *build) artifactsChecked(ctx context.Context) error {
	if !checksContext(b.spec) {
		return nil
	}
	_, err := await(ctx, b.jobs, artifactsKey, b.checkArtifacts)
	return err
}
