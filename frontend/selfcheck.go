package frontend

import (
	"context"
	"fmt"
	"time"

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

// runTool solves a tool step on the build platform and reads its result.
func (b *build) runTool(ctx context.Context, st bkllb.State) (*tool.Result, error) {
	ref, err := b.solve(ctx, st, b.buildPlatform)
	if err != nil {
		return nil, err
	}
	dt, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: tool.ResultFile})
	if err != nil {
		return nil, err
	}
	return tool.ReadResult(dt)
}

// selfCheck is one way of holding the image to its guarantees, picked once per build (pickSelfCheck):
// proof (the frontend's own image, no report), tool walk (its image walks the tree: the report's
// mode, and the proof's when the definition does not prove it) or gateway walk (no image of its own).
type selfCheck interface {
	// listBase is what the mode needs of a resolved base (key names its request): the base's
	// setuid/setgid files, read or being listed, for the conversion to clear.
	listBase(ctx context.Context, key string, img *hllb.Image, target ocispecs.Platform) (*resolvedBase, error)
	// app lists what is wrong in the final stage's /app (and, from a step, the build secrets in any file).
	app(ctx context.Context, final bkllb.State, target ocispecs.Platform) ([]audit.Violation, error)
	// verify checks the converted image and sets scan's final state and reference to the image to ship.
	verify(ctx context.Context, res *hllb.Result, base *hllb.Image, special func(context.Context) ([]hllb.SpecialFile, error), scan *scanTarget, target ocispecs.Platform) error
}

// self is the frontend's own image, for the tool steps; nil reads trees through the gateway.
func (b *build) self(ctx context.Context) (*bkllb.State, error) {
	return await(ctx, b.jobs, "self", func(ctx context.Context) (*bkllb.State, error) {
		return selfImage(ctx, b.c, b.buildPlatform), nil
	})
}

func (b *build) selfCheck(ctx context.Context) (selfCheck, error) {
	return await(ctx, b.jobs, "self-check", b.pickSelfCheck)
}

func (b *build) pickSelfCheck(ctx context.Context) (selfCheck, error) {
	self, err := b.self(ctx)
	switch {
	case err != nil:
		return nil, err
	case self == nil:
		return gatewayWalk{b}, nil
	case b.report: // the report's step walks the whole image and clears the bits itself
		return toolWalk{b, *self}, nil
	}
	return proof{toolWalk{b, *self}}, nil
}

// verify holds one platform's converted image to its guarantees, once the artifacts in the build context
// are checked, and starts the check of /app and the secrets beside it; appChecked waits for that one.
func (b *build) verify(ctx context.Context, res *hllb.Result, names []string, base *hllb.Image, special func(context.Context) ([]hllb.SpecialFile, error), target ocispecs.Platform, epoch time.Time) (*scanTarget, error) {
	if err := b.artifactsChecked(ctx); err != nil {
		return nil, err
	}
	check, err := b.selfCheck(ctx)
	if err != nil {
		return nil, err
	}
	prefetch(b.jobs, appKey(target), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.checkApp(ctx, check, res.Final, target)
	})
	scan := &scanTarget{final: res.Final, builder: res.Builder, artifacts: artifactPaths(names), epoch: epoch}
	if err := check.verify(ctx, res, base, special, scan, target); err != nil {
		return nil, err
	}
	return scan, nil
}

// appKey is the job of the target's /app check, which verify starts.
func appKey(target ocispecs.Platform) string {
	return "check " + hllb.ArtifactDir + " for " + platformString(target)
}

// appChecked waits for the /app check verify started.
func (b *build) appChecked(ctx context.Context, target ocispecs.Platform) error {
	_, err := await(ctx, b.jobs, appKey(target), func(context.Context) (struct{}, error) {
		return struct{}{}, fmt.Errorf("the check of %s for %s was never started", hllb.ArtifactDir, platformString(target))
	})
	return err
}

// checkApp frames the app check's findings at the spec line they are about.
func (b *build) checkApp(ctx context.Context, check selfCheck, final bkllb.State, target ocispecs.Platform) error {
	vs, err := check.app(ctx, final, target)
	if err != nil || len(vs) == 0 {
		return err
	}
	at := b.spec.Pos("artifacts")
	if vs[0].Check == tool.CheckBuildSecrets {
		at = b.spec.Pos("build.secrets")
	}
	return withSpecSource(&audit.VerifyError{Violations: vs}, b.src, at)
}

// gatewayWalk reads the base and the result through the gateway: the frontend has no image of its own
// to run steps on.
type gatewayWalk struct{ b *build }

// listBase solves the base and lists its setuid/setgid paths through the gateway, so the conversion can
// strip exactly those and leave the base's layers shared with the original image.
func (g gatewayWalk) listBase(ctx context.Context, _ string, img *hllb.Image, target ocispecs.Platform) (*resolvedBase, error) {
	special, err := g.b.specialFiles(ctx, img, target)
	if err != nil {
		return nil, err
	}
	return &resolvedBase{image: img, specialFiles: special}, nil
}

// app reads /app through the gateway; the secrets' values, which only a step can see, are not searched.
func (g gatewayWalk) app(ctx context.Context, final bkllb.State, target ocispecs.Platform) ([]audit.Violation, error) {
	ref, err := g.b.solve(ctx, final, target)
	if err != nil {
		return nil, err
	}
	vs, err := tool.AppViolations(ctx, gatewayFS{ref}, hllb.ArtifactDir)
	return vs, wrapf(err, "reading %s", hllb.ArtifactDir)
}

func (g gatewayWalk) verify(ctx context.Context, res *hllb.Result, _ *hllb.Image, _ func(context.Context) ([]hllb.SpecialFile, error), scan *scanTarget, target ocispecs.Platform) error {
	ref, err := g.b.solve(ctx, res.Final, target)
	if err != nil {
		return err
	}
	scan.finalRef = ref
	tree, err := listTree(ctx, gatewayFS{ref})
	if err != nil {
		return wrapf(err, "reading the built image")
	}
	violations := audit.Verify(ctx, tree, res.Image)
	if violations == nil && g.b.report {
		if err := checkReport(ctx, tree, res.Image, scan); err != nil {
			return err
		}
	}
	return withSpecSource(violations, g.b.src, g.b.spec.Pos("artifacts"))
}

// toolWalk has a cached step of the frontend's own image walk the built tree (`tool verify --strip`): it
// clears every setuid/setgid bit, checks the guarantees on what is left and, with attestations, writes the
// check report; the image shipped is then the tree the step left.
type toolWalk struct {
	b    *build
	self bkllb.State
}

func (t toolWalk) listBase(_ context.Context, _ string, img *hllb.Image, _ ocispecs.Platform) (*resolvedBase, error) {
	return &resolvedBase{image: img}, nil // the walk clears the base's bits with the rest
}

func (t toolWalk) app(ctx context.Context, final bkllb.State, _ ocispecs.Platform) ([]audit.Violation, error) {
	res, err := t.b.runTool(ctx, tool.AppStep(t.self, final, t.b.spec, t.b.locate("artifacts")))
	if err != nil {
		return nil, wrapf(err, "checking %s", hllb.ArtifactDir)
	}
	return res.Violations, nil
}

func (t toolWalk) verify(ctx context.Context, res *hllb.Result, _ *hllb.Image, _ func(context.Context) ([]hllb.SpecialFile, error), scan *scanTarget, target ocispecs.Platform) error {
	var epoch *time.Time
	if t.b.report {
		epoch = &scan.epoch
	}
	st, stripped, err := tool.VerifyStep(t.self, res.Final, res.Image, epoch, t.b.locate("artifacts"))
	if err != nil {
		return err
	}
	out, err := t.b.runTool(ctx, st)
	if err != nil {
		return wrapf(err, "checking the built image")
	}
	scan.report = out.Report
	if len(out.Stripped) > 0 {
		// The tree the step checked; without a cleared bit it is the final stage as built, and
		// the image keeps one layer fewer.
		scan.final = stripped
	}
	if scan.finalRef, err = t.b.solve(ctx, scan.final, target); err != nil {
		return err
	}
	if len(out.Violations) > 0 {
		return withSpecSource(&audit.VerifyError{Violations: out.Violations}, t.b.src, t.b.spec.Pos("artifacts"))
	}
	return nil
}

// proof is the self-check without a walk of the image: the base's setuid/setgid files, listed by a cached
// step, are cleared on top; the definition proves the rest adds none; the config guarantees are checked
// on the result. When the definition does not prove it, the tool walk checks.
type proof struct{ toolWalk }

// listBase starts the base's listing step now, on the build platform; the build waits for its answer
// only when the self-check needs it.
func (p proof) listBase(_ context.Context, key string, img *hllb.Image, _ ocispecs.Platform) (*resolvedBase, error) {
	key = "list the setuid/setgid files of " + key
	list := func(ctx context.Context) ([]hllb.SpecialFile, error) {
		res, err := p.b.runTool(ctx, tool.SpecialStep(p.self, img.State, p.b.locate("base")))
		if err != nil {
			return nil, wrapf(err, "listing the base's setuid/setgid files")
		}
		return res.Special, nil
	}
	prefetch(p.b.jobs, key, list)
	special := func(ctx context.Context) ([]hllb.SpecialFile, error) { return await(ctx, p.b.jobs, key, list) }
	return &resolvedBase{image: img, special: special}, nil
}

func (p proof) verify(ctx context.Context, res *hllb.Result, base *hllb.Image, special func(context.Context) ([]hllb.SpecialFile, error), scan *scanTarget, target ocispecs.Platform) error {
	proven, err := p.verifyAdded(ctx, res, base, special, scan, target)
	if proven || err != nil {
		return err
	}
	return p.toolWalk.verify(ctx, res, base, special, scan, target)
}

// verifyAdded sets scan's final state and reference and reports true when the definition proves the
// image adds no setuid/setgid file; false, with nothing set, when it does not (the tool walk then checks).
func (p proof) verifyAdded(ctx context.Context, res *hllb.Result, base *hllb.Image, special func(context.Context) ([]hllb.SpecialFile, error), scan *scanTarget, target ocispecs.Platform) (bool, error) {
	final := res.Final
	var baseState *bkllb.State
	// The config guarantees are checked on the result through the gateway; clearing setuid/setgid bits
	// changes no path, link, execute bit or /etc/passwd, so they hold on the build as on the image shipped.
	checkConfig := func(ctx context.Context, ref gwclient.Reference) error {
		return audit.VerifyConfig(ctx, gatewayFS{ref}, res.Image)
	}
	configKey := "check the config of the build for " + platformString(target)
	solveAndCheck := func(ctx context.Context) (struct{}, error) {
		ref, err := p.b.solveAs(ctx, res.Final, target, true)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, checkConfig(ctx, ref)
	}
	early := false
	if base != nil {
		if special == nil {
			return false, nil
		}
		// The build proper starts now, and its config is checked, while the base's files are listed: the
		// layer that clears their bits goes on top, and nothing under it waits for the list. Not under
		// --no-cache, where BuildKit shares no step between two solves and would build everything twice.
		if early = !p.b.bc.IsNoCache(""); early {
			prefetch(p.b.jobs, configKey, solveAndCheck)
		}
		files, err := special(ctx)
		if err != nil {
			return false, err
		}
		final = hllb.StripSetuid(final, files, p.b.locate("base"))
		baseState = &base.State
	}
	marshalMu.Lock() // the proof marshals the final stage
	err := hllb.AddsNoSetuid(ctx, final, baseState, bkllb.Platform(target))
	marshalMu.Unlock()
	if err != nil {
		return false, nil // the step that walks the image checks it
	}
	ref, err := p.b.solve(ctx, final, target)
	if err != nil {
		return false, err
	}
	if early {
		_, err = await(ctx, p.b.jobs, configKey, solveAndCheck)
	} else {
		err = checkConfig(ctx, ref)
	}
	if err != nil {
		if _, ok := err.(*audit.VerifyError); ok {
			return false, withSpecSource(err, p.b.src, p.b.spec.Pos("artifacts"))
		}
		return false, wrapf(err, "checking the built image")
	}
	scan.final, scan.finalRef = final, ref
	return true, nil
}
