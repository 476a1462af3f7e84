package frontend

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/frontend/tool"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// DefaultFilename is read when the build names no file (buildctl without --opt filename).
const DefaultFilename = "hardened.yaml"

// ImageTarget is the default target: the hardened image.
const ImageTarget = "image"

// Build is the gateway entry point: hardened.yaml in, a verified hardened image out.
func Build(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
	c = withDefaultFilename(c)
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	// hardened.lock needs nothing from the spec: it is read while the spec is (not for the lock target,
	// which writes it, nor for a subrequest, which stops it).
	lockWait, stopLock := func() (*lockfile.Lock, error) { return nil, nil }, func() {}
	if bc.Target != LockTarget {
		lockWait, stopLock = background(ctx, func(ctx context.Context) (*lockfile.Lock, error) { return readLock(ctx, bc) })
	}
	defer stopLock()
	// So are the context files most languages need (the language is not known yet).
	ahead := startAheadRead(ctx, c)
	defer ahead.stop()
	src, err := bc.ReadEntrypoint(ctx, "YAML")
	if err != nil {
		return nil, fmt.Errorf("reading the spec: %w", err)
	}
	s, loadErr := spec.Load(src.Filename, src.Data, hllb.SpecOptions()...)
	if res, handled, err := bc.HandleSubrequest(ctx, subrequests(s, loadErr, src.SourceMap)); handled || err != nil {
		return res, err
	}
	if loadErr != nil {
		return nil, withSpecSource(loadErr, src.SourceMap)
	}
	warnEndOfLife(ctx, src, s, time.Now())
	// The frontend's own image runs the self-check's steps (a subrequest needs none); it resolves while
	// the context files are read.
	self := sync.OnceValue(func() *bkllb.State { return selfImage(ctx, c, bc.BuildPlatforms[0]) })
	go self()
	switch bc.Target {
	case "", ImageTarget, hllb.DebugTarget, LockTarget:
	default:
		return nil, fmt.Errorf("%s has no target %q; build one of: %s (default), %s, %s", src.Filename, bc.Target, ImageTarget, hllb.DebugTarget, LockTarget)
	}
	s = s.WithBuildArgs(bc.BuildArgs)
	lang, _ := hllb.Lookup(s.Language) // Load validated the name
	if len(lang.ContextFiles()) == 0 {
		ahead.stop() // static reads no file
	}
	report := wantsAttestations(bc)
	newPlatformBuild := func(lock *lockfile.Lock) *platformBuild {
		return &platformBuild{c: c, bc: bc, spec: s, src: src.SourceMap, lock: lock, self: self, buildPlatform: bc.BuildPlatforms[0], report: report}
	}
	// The images resolve while the context files are read, for the requests the spec makes without them;
	// a platform's build uses each one if the files leave its request as it was (a version in go.mod or
	// package.json, a pom.xml that asks for Maven's image change it). A base the spec alone decides also
	// has its setuid/setgid files listed at once; others wait for the files that confirm them.
	early := map[string]*earlyImages{}
	build := func() (*platformBuild, error) {
		lock, err := lockWait()
		if err != nil {
			return nil, err
		}
		return newPlatformBuild(lock), nil
	}
	if bc.Target == "" || bc.Target == ImageTarget {
		targets := bc.TargetPlatforms
		if len(targets) == 0 {
			targets = []ocispecs.Platform{bc.BuildPlatforms[0]}
		}
		for _, target := range targets {
			e := &earlyImages{target: target}
			if req, err := lang.Builder(s, nil, target, bc.BuildPlatforms[0]); err == nil && req.Ref != "" {
				e.builder = startResolve(ctx, req, build)
				defer e.builder.stop()
			}
			if req, hasBase, err := hllb.BaseImage(s, nil, target); err == nil && hasBase {
				if hllb.BaseNeedsFiles(s) {
					e.base = startResolve(ctx, req, build)
					defer e.base.stop()
				} else {
					e.listed = startBase(ctx, req, target, build, nil)
					defer e.listed.stop()
				}
			}
			early[platformString(target)] = e
		}
	}
	// Once the files are read, and while the .dockerignore that may exclude some of them is, the images
	// they ask for resolve (and a base that needed them is listed); a platform's build uses each one if
	// the files it trusts ask for the same.
	var onRead func(hllb.Files)
	var stopRead []func()
	defer func() {
		for _, stop := range stopRead {
			stop()
		}
	}()
	if len(early) > 0 {
		onRead = func(files hllb.Files) {
			for _, e := range early {
				target := e.target
				if req, err := lang.Builder(s, files, target, bc.BuildPlatforms[0]); err == nil && req.Ref != "" && (e.builder == nil || !sameRequest(e.builder.req, req)) {
					e.builder = startResolve(ctx, req, build)
					stopRead = append(stopRead, e.builder.stop)
				}
				if !hllb.BaseNeedsFiles(s) {
					continue
				}
				if req, hasBase, err := hllb.BaseImage(s, files, target); err == nil && hasBase && (e.listed == nil || !sameRequest(e.listed.req, req)) {
					e.listed = startBase(ctx, req, target, build, e.base)
					stopRead = append(stopRead, e.listed.stop)
				}
			}
		}
	}
	mainContext, files, err := readContext(ctx, c, bc, lang.ContextFiles(), ahead, onRead)
	if err != nil {
		return nil, err
	}
	lock, err := lockWait()
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
	if bc.Target == LockTarget {
		return buildLock(ctx, c, bc, s, lang, files, src.SourceMap)
	}
	// The build context loads while the images resolve: in the build's own solve its transfer would wait
	// for the builder image's source. The artifact check reads it from that load; every platform waits
	// for the check before its solve.
	contextLoaded, stopContext := background(ctx, func(ctx context.Context) (gwclient.Reference, error) {
		return solveRefAs(ctx, c, *mainContext, true) // evaluated: nothing reads it before the build's solve
	})
	defer stopContext()
	artifactsChecked := func() error { return nil }
	if _, ok := lang.(hllb.ContextArtifacts); ok {
		done := make(chan error, 1)
		go func() { done <- checkArtifacts(ctx, s, contextLoaded) }()
		artifactsChecked = sync.OnceValue(func() error { return withSpecSource(<-done, src.SourceMap) })
	}

	targets := &scanTargets{}
	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		buildPlatform := bc.BuildPlatforms[0]
		target := buildPlatform
		if platform != nil {
			target = *platform
		}
		p := newPlatformBuild(lock)

		breq, err := lang.Builder(s, files, target, buildPlatform)
		if err != nil {
			return nil, withSpecSource(err, src.SourceMap)
		}
		in := hllb.Inputs{
			Context:   *mainContext,
			Files:     files,
			Target:    target,
			CacheNS:   bc.CacheIDNamespace,
			Epoch:     epoch,
			SourceMap: src.SourceMap,
			Proxy:     proxyEnv(bc.BuildArgs),
		}
		baseReq, hasBase, err := hllb.BaseImage(s, files, target)
		if err == nil && bc.Target == hllb.DebugTarget {
			if !hasBase {
				err = spec.Errors{{File: s.File(), Pos: s.Pos("base"), Field: "base",
					Msg: "the debug target needs a shell, and scratch has none", Hint: "build the debug target with base: static (or base, cc)"}}
			} else {
				baseReq, err = hllb.DebugBase(baseReq)
				in.Debug = true
			}
		}
		if err != nil {
			return nil, withSpecSource(err, src.SourceMap)
		}
		var (
			libsReq       hllb.ImageRequest
			libsOnBuilder bool
			libsImage     *hllb.Image
		)
		if len(s.Runtime.Libs) > 0 {
			if libsReq, libsOnBuilder, err = hllb.LibsImage(s, baseReq, breq, target); err != nil {
				return nil, withSpecSource(err, src.SourceMap)
			}
		}
		// The builder, the base and the libs image resolve at the same time (without the frontend's own
		// image, the base's setuid scan through the gateway follows it). When several fail, the builder's
		// error is reported, then the base's, so a build's message does not depend on which answer came first.
		var (
			wg                           sync.WaitGroup
			builderErr, baseErr, libsErr error
			stopPrepare                  = func() {}
		)
		defer func() { stopPrepare() }() // no solve of ours outlives the build
		if len(s.Runtime.Libs) > 0 && !libsOnBuilder {
			wg.Add(1)
			go func() { defer wg.Done(); libsImage, libsErr = p.resolve(ctx, libsReq) }()
		}
		e := early[platformString(target)]
		if e == nil {
			e = &earlyImages{}
		}
		if breq.Ref != "" { // a language without a builder image works from the context alone
			wg.Add(1)
			go func() {
				defer wg.Done()
				var builder *hllb.Image
				if builder, builderErr = e.builder.resolve(ctx, p, breq); builderErr == nil {
					in.Builder = *builder
				}
			}()
		}
		if hasBase {
			job := e.listed
			if job == nil || !sameRequest(job.req, baseReq) {
				job = startBase(ctx, baseReq, target, func() (*platformBuild, error) { return p, nil }, e.base)
				defer job.stop()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				var b *resolvedBase
				if b, baseErr = job.wait(); baseErr != nil {
					return
				}
				in.Base, in.BaseSpecial, p.special = b.image, b.specialFiles, b.special
				if p.self() != nil && breq.Ref != "" && len(p.bc.CacheImports) == 0 {
					// Not with --cache-from, where the final stage may come from the cache whole.
					stopPrepare = p.prepare(ctx, *in.Base, target, "while the builder is pulled")
				}
			}()
		}
		wg.Wait()
		for _, err := range []error{builderErr, baseErr, libsErr} {
			if err != nil {
				return nil, err
			}
		}
		if len(s.Runtime.Libs) > 0 {
			if libsOnBuilder {
				libsImage = &in.Builder
			}
			if in.Libs, err = p.runtimeLibs(ctx, *libsImage, &in, target); err != nil {
				return nil, err
			}
			if lock != nil && !in.Debug {
				if err := checkLockedLibs(lock, platformString(target), in.Libs.Packages); err != nil {
					return nil, withSpecSource(err, src.SourceMap, s.Pos("runtime.libs"))
				}
			}
		}

		res, err := hllb.Convert(s, in)
		if err != nil {
			return nil, withSpecSource(err, src.SourceMap)
		}
		if err := addBuildLabels(res.Image, bc.Labels); err != nil {
			return nil, err
		}
		if err := artifactsChecked(); err != nil {
			return nil, err
		}
		scan := &scanTarget{final: res.Final, builder: res.Builder, artifacts: artifactPaths(s), epoch: *epoch}
		appChecked, stopApp := p.checkApp(ctx, res.Final, target) // /app and the secrets, beside the self-check
		defer stopApp()
		verifyErr := p.verify(ctx, res, in.Base, scan, target, report)
		if err := cmp.Or(verifyErr, appChecked()); err != nil {
			return nil, err
		}
		targets.add(target, scan)
		out := &dockerui.BuildResult{Reference: scan.finalRef, Image: res.Image, Epoch: epoch}
		if in.Base != nil {
			out.BaseImage = in.Base.Config
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if err := addSBOMs(ctx, c, bc, rb, targets); err != nil {
		return nil, err
	}
	if err := addReports(ctx, c, rb, targets); err != nil {
		return nil, err
	}
	return rb.Finalize()
}

// verify holds the built image to its guarantees, and writes the check report when attestations are asked
// for. With its own image and no report the frontend proves them without walking the image (verifyAdded);
// otherwise a cached step of that image walks the built tree (it also clears the setuid/setgid bits, and
// the image shipped is then the tree that step left); without its own image it reads the result through
// the gateway. It sets scan's final state and reference to the image to ship.
func (p *platformBuild) verify(ctx context.Context, res *hllb.Result, base *hllb.Image, scan *scanTarget, target ocispecs.Platform, report bool) error {
	var violations error
	if p.self() != nil && !report {
		proven, err := p.verifyAdded(ctx, res, base, scan, target)
		if proven || err != nil {
			return err
		}
	}
	if self := p.self(); self != nil {
		var epoch *time.Time
		if report {
			epoch = &scan.epoch
		}
		st, stripped, err := tool.VerifyStep(*self, res.Final, res.Image, epoch, p.locate("artifacts"))
		if err != nil {
			return err
		}
		out, err := p.runTool(ctx, st, p.buildPlatform)
		if err != nil {
			return wrapf(err, "checking the built image")
		}
		if len(out.Violations) > 0 {
			violations = &audit.VerifyError{Violations: out.Violations}
		}
		scan.report = out.Report
		if len(out.Stripped) > 0 {
			// The tree the step checked; without a cleared bit it is the final stage as built, and
			// the image keeps one layer fewer.
			scan.final = stripped
		}
		if scan.finalRef, err = p.solve(ctx, scan.final, target); err != nil {
			return err
		}
	} else {
		ref, err := p.solve(ctx, res.Final, target)
		if err != nil {
			return err
		}
		scan.finalRef = ref
		tree, err := listTree(ctx, gatewayFS{ref})
		if err != nil {
			return wrapf(err, "reading the built image")
		}
		violations = audit.Verify(ctx, tree, res.Image)
		if violations == nil && report {
			if err := checkReport(ctx, tree, res.Image, scan); err != nil {
				return err
			}
		}
	}
	if violations != nil {
		return withSpecSource(violations, p.src, p.spec.Pos("artifacts"))
	}
	return nil
}

// verifyAdded is the self-check without a walk of the image (selfcheck.go): the base's setuid/setgid files,
// listed by a cached step, are cleared on top; the definition proves the rest adds none; the config
// guarantees are checked on the result. It sets scan's final state and reference and reports false, with
// nothing set, when the definition does not prove it (the step that walks the image then checks).
func (p *platformBuild) verifyAdded(ctx context.Context, res *hllb.Result, base *hllb.Image, scan *scanTarget, target ocispecs.Platform) (bool, error) {
	final := res.Final
	var baseState *bkllb.State
	// The config guarantees are checked on the result through the gateway; clearing setuid/setgid bits
	// changes no path, link, execute bit or /etc/passwd, so they hold on the build as on the image shipped.
	checkConfig := func(ctx context.Context, ref gwclient.Reference) error {
		return audit.VerifyConfig(ctx, gatewayFS{ref}, res.Image)
	}
	var configChecked func() (struct{}, error)
	if base != nil {
		if p.special == nil {
			return false, nil
		}
		// The build proper starts now, and its config is checked, while the base's files are listed: the
		// layer that clears their bits goes on top, and nothing under it waits for the list. Not under
		// --no-cache, where BuildKit shares no step between two solves and would build everything twice.
		if !p.bc.IsNoCache("") {
			wait, stop := background(ctx, func(ctx context.Context) (struct{}, error) {
				ref, err := p.solveAs(ctx, res.Final, target, true)
				if err != nil {
					return struct{}{}, err
				}
				return struct{}{}, checkConfig(ctx, ref)
			})
			defer stop()
			configChecked = wait
		}
		special, err := p.special()
		if err != nil {
			return false, err
		}
		final = hllb.StripSetuid(final, special, p.locate("base"))
		baseState = &base.State
	}
	if err := hllb.AddsNoSetuid(ctx, final, baseState, bkllb.Platform(target)); err != nil {
		return false, nil // the step that walks the image checks it
	}
	ref, err := p.solve(ctx, final, target)
	if err != nil {
		return false, err
	}
	if configChecked != nil {
		_, err = configChecked()
	} else {
		err = checkConfig(ctx, ref)
	}
	if err != nil {
		if _, ok := err.(*audit.VerifyError); ok {
			return false, withSpecSource(err, p.src, p.spec.Pos("artifacts"))
		}
		return false, wrapf(err, "checking the built image")
	}
	scan.final, scan.finalRef = final, ref
	return true, nil
}

// baseJob is a base image's resolution and, with the frontend's own image and no report, the listing of its
// setuid/setgid files, started as soon as the base is known; the listing's answer is waited for only
// when the self-check needs it.
type baseJob struct {
	req  hllb.ImageRequest
	wait func() (*resolvedBase, error)
	stop func()
}

type resolvedBase struct {
	image *hllb.Image
	// specialFiles are the base's setuid/setgid files read through the gateway, without the frontend's
	// own image; special waits for the listing step's answer, with it.
	specialFiles []hllb.SpecialFile
	special      func() ([]hllb.SpecialFile, error)
	stopSpecial  func()
}

// startBase resolves req for target in the background, with the platform build that build returns (the
// early start waits there for hardened.lock), or takes the resolution resolved started when it was for
// req. stop cancels what is still running and waits for it.
func startBase(ctx context.Context, req hllb.ImageRequest, target ocispecs.Platform, build func() (*platformBuild, error), resolved *imageJob) *baseJob {
	wait, stop := background(ctx, func(ctx context.Context) (*resolvedBase, error) {
		p, err := build()
		if err != nil {
			return nil, err
		}
		img, err := resolved.resolve(ctx, p, req)
		if err != nil {
			return nil, err
		}
		b := &resolvedBase{image: img}
		switch {
		case p.self() == nil: // asked after the resolution, which does not wait for it
			b.specialFiles, err = p.specialFiles(ctx, img, target)
		case !p.report: // the report's step walks the whole image and clears the bits itself
			b.special, b.stopSpecial = p.listSpecial(ctx, img.State)
		}
		return b, err
	})
	return &baseJob{req: req, wait: wait, stop: func() {
		stop()
		if b, err := wait(); err == nil && b.stopSpecial != nil {
			b.stopSpecial()
		}
	}}
}

// earlyImages are one platform's image resolutions started before the context files are read: the
// builder's and the base's for the requests the spec makes without the files, or, for a base that
// needs none, its resolution and listing.
type earlyImages struct {
	target        ocispecs.Platform
	builder, base *imageJob
	listed        *baseJob
}

// imageJob is an image's resolution started before the build knows it will ask for that image.
type imageJob struct {
	req  hllb.ImageRequest
	wait func() (*hllb.Image, error)
	stop func()
}

func startResolve(ctx context.Context, req hllb.ImageRequest, build func() (*platformBuild, error)) *imageJob {
	wait, stop := background(ctx, func(ctx context.Context) (*hllb.Image, error) {
		p, err := build()
		if err != nil {
			return nil, err
		}
		return p.resolve(ctx, req)
	})
	return &imageJob{req: req, wait: wait, stop: stop}
}

// resolve is the job's answer when it was started for req (its error included, which is req's own),
// else p resolves req now. A nil job resolves now.
func (j *imageJob) resolve(ctx context.Context, p *platformBuild, req hllb.ImageRequest) (*hllb.Image, error) {
	if j != nil && sameRequest(j.req, req) {
		return j.wait()
	}
	return p.resolve(ctx, req)
}

// sameRequest reports whether two image requests ask for the same image in the same role.
func sameRequest(a, b hllb.ImageRequest) bool {
	return reflect.DeepEqual(a, b)
}

func (p *platformBuild) locate(field string) bkllb.ConstraintsOpt {
	return hllb.Locator(p.spec, p.src)(field)
}

// platformBuild is the per-platform state of one Build call.
type platformBuild struct {
	c    gwclient.Client
	bc   *dockerui.Client
	spec *spec.Spec
	src  *bkllb.SourceMap
	// lock pins every image when hardened.lock is present; nil resolves by tag.
	lock *lockfile.Lock
	// self waits for the frontend's own image, for the tool steps; nil reads trees through the gateway.
	self func() *bkllb.State
	// special waits for the base's setuid/setgid files, listed by a step of self (nil: not listed).
	special       func() ([]hllb.SpecialFile, error)
	buildPlatform ocispecs.Platform
	// report is set when attestations are asked for: the check report's step walks the whole image.
	report bool
}

func (p *platformBuild) solve(ctx context.Context, st bkllb.State, target ocispecs.Platform) (gwclient.Reference, error) {
	return p.solveAs(ctx, st, target, false)
}

// solveAs solves st; with evaluate, BuildKit builds it now, not when its result is first read.
func (p *platformBuild) solveAs(ctx context.Context, st bkllb.State, target ocispecs.Platform, evaluate bool) (gwclient.Reference, error) {
	opts := []bkllb.ConstraintsOpt{bkllb.Platform(target), bkllb.WithCaps(p.bc.BuildOpts().LLBCaps)}
	if p.bc.IsNoCache("") { // --no-cache: every step runs again
		opts = append(opts, bkllb.IgnoreCache)
	}
	def, err := st.Marshal(ctx, opts...)
	if err != nil {
		return nil, err
	}
	r, err := p.c.Solve(ctx, gwclient.SolveRequest{
		Definition:   def.ToPB(),
		CacheImports: p.bc.CacheImports,
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
	def, err := st.Marshal(ctx)
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
