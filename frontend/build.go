package frontend

import (
	"cmp"
	"context"
	"fmt"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// DefaultFilename is read when the build names no file (buildctl without --opt filename).
const DefaultFilename = "hardened.yaml"

// ImageTarget is the default target: the hardened image.
const ImageTarget = "image"

// Build is the gateway entry point: hardened.yaml in, a verified hardened image out. The images, the
// base's setuid listing and the context's load start as soon as what decides them is known (prefetch)
// and are waited for where they are used; every job ends with the build (jobs.close).
func Build(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
	jobs := newResolver(ctx)
	defer jobs.close()
	b, sub, err := load(ctx, c, jobs)
	if sub != nil || err != nil {
		return sub, err // a subrequest's answer, or a spec that does not load
	}
	b.prefetchEarly()
	mainContext, files, err := readContext(ctx, c, b.bc, b.lang.Inputs(), b.ahead, b.prefetchForFiles)
	if err != nil {
		return nil, err
	}
	if _, err := b.lock(ctx); err != nil {
		return nil, err
	}
	epoch, err := sourceDateEpoch(b.bc.BuildArgs)
	if err != nil {
		return nil, err
	}
	if epoch == nil {
		epoch = defaultEpoch(ctx, b.bc)
	}
	if b.bc.Target == LockTarget {
		return buildLock(ctx, b, files)
	}
	b.loadContext(*mainContext)
	targets := &scanTargets{}
	rb, err := b.bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		in := hllb.Inputs{Context: *mainContext, Files: files, Target: b.buildPlatform, CacheNS: b.bc.CacheIDNamespace,
			Epoch: epoch, SourceMap: b.src, Proxy: proxyEnv(b.bc.BuildArgs)}
		if platform != nil {
			in.Target = *platform
		}
		return b.platform(ctx, in, targets)
	})
	if err != nil {
		return nil, err
	}
	if err := addSBOMs(ctx, c, b.bc, rb, targets); err != nil {
		return nil, err
	}
	if err := addReports(ctx, c, rb, targets); err != nil {
		return nil, err
	}
	return rb.Finalize()
}

// platform is one target platform's build: plan, resolve, convert, verify.
func (b *build) platform(ctx context.Context, in hllb.Inputs, targets *scanTargets) (*dockerui.BuildResult, error) {
	pl, err := b.plan(in.Files, &in)
	if err != nil {
		return nil, err
	}
	special, err := b.resolveImages(ctx, pl, &in)
	if err != nil {
		return nil, err
	}
	if in.Probe, err = b.probeSource(ctx, in.Target); err != nil {
		return nil, err
	}
	res, err := hllb.Convert(b.spec, in)
	if err != nil {
		return nil, withSpecSource(err, b.src)
	}
	if err := addBuildLabels(res.Image, b.bc.Labels); err != nil {
		return nil, err
	}
	scan, err := b.verify(ctx, res, in.Plan.ArtifactNames, in.Base, special, in.Target, *in.Epoch)
	if err != nil {
		return nil, err
	}
	// The test runs beside the /app check (two container starts at once); a finding in /app is
	// reported before the test's failure.
	testErr := b.runTest(ctx, scan, res.Image, in.Target)
	if err := cmp.Or(b.appChecked(ctx, in.Target), testErr); err != nil {
		return nil, err
	}
	if err := b.layerHistory(ctx, scan.final, res.Image, in.Target, *in.Epoch); err != nil {
		return nil, err
	}
	targets.add(in.Target, scan)
	out := &dockerui.BuildResult{Reference: scan.finalRef, Image: res.Image, Epoch: in.Epoch}
	if in.Base != nil {
		out.BaseImage = in.Base.Config
	}
	return out, nil
}

// layerHistory adds to img's history (the base's) an entry for each layer the build puts on the base,
// named as BuildKit names the layers it builds, so an image whose layers came from a registry cache is
// the same image (hllb.LayerHistory).
func (b *build) layerHistory(ctx context.Context, final bkllb.State, img *dockerspec.DockerOCIImage, target ocispecs.Platform, epoch time.Time) error {
	def, err := marshal(ctx, final, bkllb.Platform(target))
	if err != nil {
		return err
	}
	h, err := hllb.LayerHistory(def, epoch)
	if err != nil {
		return err
	}
	img.History = append(img.History, h...)
	return nil
}

// build is one Build call: its options, its spec and the jobs it runs in the background.
type build struct {
	c    gwclient.Client
	bc   *dockerui.Client
	spec *spec.Spec
	src  *bkllb.SourceMap
	lang lang.Language
	jobs *resolver
	// ahead is the read of the context's project files started with the spec's.
	ahead         *aheadRead
	buildPlatform ocispecs.Platform
	// report is set when attestations are asked for: the check report's step walks the whole image.
	report bool
	// main is the build context, once read.
	main bkllb.State
	// locked is the lock the lock target writes, which its own resolutions use; nil reads hardened.lock.
	locked *lockfile.Lock
	// warn prints a warning at the spec in the build's output; nil when the client cannot.
	warn func(context.Context, string, gwclient.WarnOpts)
}

// load reads the spec (and, beside it, hardened.lock and the context's project files), answers a
// subrequest (--call), and refuses a target the frontend does not build. sub is a subrequest's answer.
func load(ctx context.Context, c gwclient.Client, jobs *resolver) (b *build, sub *gwclient.Result, err error) {
	c = withDefaultFilename(c)
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, nil, err
	}
	b = &build{c: c, bc: bc, jobs: jobs, buildPlatform: bc.BuildPlatforms[0], report: wantsAttestations(bc)}
	if bc.Target != LockTarget { // the lock target writes hardened.lock
		prefetch(jobs, "lock", b.readLock)
	}
	b.ahead = startAheadRead(jobs, c)
	src, err := bc.ReadEntrypoint(ctx, "YAML")
	if err != nil {
		return nil, nil, fmt.Errorf("reading the spec: %w", err)
	}
	s, loadErr := spec.Load(src.Filename, src.Data, registry.SpecOptions()...)
	if res, handled, err := bc.HandleSubrequest(ctx, subrequests(s, loadErr, src.SourceMap)); handled || err != nil {
		return nil, res, err
	}
	if loadErr != nil {
		return nil, nil, withSpecSource(loadErr, src.SourceMap)
	}
	warnEndOfLife(ctx, src, s, time.Now())
	// The frontend's own image runs the self-check's steps; it resolves while the context files are read.
	prefetch(jobs, "self-check", b.pickSelfCheck)
	switch bc.Target {
	case "", ImageTarget, hllb.DebugTarget, LockTarget:
	default:
		return nil, nil, fmt.Errorf("%s has no target %q; build one of: %s (default), %s, %s", src.Filename, bc.Target, ImageTarget, hllb.DebugTarget, LockTarget)
	}
	b.spec, b.src, b.warn = s.WithBuildArgs(bc.BuildArgs), src.SourceMap, src.Warn
	b.lang, _ = registry.Lookup(s.Language) // Load validated the name
	if len(b.lang.Inputs().Files()) == 0 {
		jobs.stop(aheadKey) // static reads no file
	}
	return b, nil, nil
}

// lock is hardened.lock, which pins every image when it is present; nil resolves by tag.
func (b *build) lock(ctx context.Context) (*lockfile.Lock, error) {
	if b.bc.Target == LockTarget {
		return b.locked, nil
	}
	return await(ctx, b.jobs, "lock", b.readLock)
}

func (b *build) readLock(ctx context.Context) (*lockfile.Lock, error) { return readLock(ctx, b.bc) }

func (b *build) locate(field string) bkllb.ConstraintsOpt {
	return hllb.Locator(b.spec, b.src)(field)
}

func (b *build) solve(ctx context.Context, st bkllb.State, target ocispecs.Platform) (gwclient.Reference, error) {
	return b.solveAs(ctx, st, target, false)
}

// solveAs solves st; with evaluate, BuildKit builds it now, not when its result is first read.
func (b *build) solveAs(ctx context.Context, st bkllb.State, target ocispecs.Platform, evaluate bool) (gwclient.Reference, error) {
	opts := []bkllb.ConstraintsOpt{bkllb.Platform(target), bkllb.WithCaps(b.bc.BuildOpts().LLBCaps)}
	if b.bc.IsNoCache("") { // --no-cache: every step runs again
		opts = append(opts, bkllb.IgnoreCache)
	}
	def, err := marshal(ctx, st, opts...)
	if err != nil {
		return nil, err
	}
	r, err := b.c.Solve(ctx, gwclient.SolveRequest{
		Definition:   def.ToPB(),
		CacheImports: b.bc.CacheImports,
		Evaluate:     evaluate,
	})
	if err != nil {
		return nil, err
	}
	return r.SingleRef()
}

// solveRef solves a state on its own (reads, attestation files) and returns its result.
func solveRef(ctx context.Context, c gwclient.Client, st bkllb.State) (gwclient.Reference, error) {
	return solveRefAs(ctx, c, st, false)
}

// solveRefAs is solveRef; with evaluate, BuildKit builds st now, not when its result is first read.
func solveRefAs(ctx context.Context, c gwclient.Client, st bkllb.State, evaluate bool) (gwclient.Reference, error) {
	def, err := marshal(ctx, st)
	if err != nil {
		return nil, err
	}
	r, err := c.Solve(ctx, gwclient.SolveRequest{Definition: def.ToPB(), Evaluate: evaluate})
	if err != nil {
		return nil, err
	}
	return r.SingleRef()
}

// wrapf says what was being done when err happened; nil stays nil.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
