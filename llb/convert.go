package llb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

// OutDir is where a builder leaves the artifacts, one file per artifact name. It is one level
// below the builder's root on purpose: BuildKit content-hashes a copy's source by scanning the
// directory it is in, so the final stage's copy of a directory at the root would walk the
// builder's whole filesystem after every source change (0.2 s for the python and node images on
// a 2-CPU machine), where this scans /hardened alone.
const OutDir = "/hardened/out"

// StepsOutDir is where build.steps find the artifacts (HARDENED_OUT): a link to OutDir.
const StepsOutDir = "/out"

// SrcDir is where the build context sits in a builder.
const SrcDir = "/src"

// Inputs is everything Convert needs besides the spec, already resolved.
type Inputs struct {
	// Plan is the spec's plan for Target (package plan): the language's stage and the /app layout.
	Plan    Plan
	Context bkllb.State
	Files   Files
	Builder Image
	// Base is the final stage's base; nil means scratch.
	Base *Image
	// BaseSpecial lists the base's setuid/setgid paths, to strip.
	BaseSpecial []SpecialFile
	Target      ocispecs.Platform
	CacheNS     string
	Epoch       *time.Time
	// SourceMap is the spec file; ops carry its positions so errors point at lines.
	SourceMap *bkllb.SourceMap
	// Proxy is the builder's proxy (the HTTP_PROXY family of build args); nil for none.
	Proxy *bkllb.ProxyEnv
	// Debug labels the image as the debug target's (its Base is then DebugBase's).
	Debug bool
	// Libs is the resolved runtime-libs stage (RuntimeLibs, ReadLibs); nil without runtime.libs.
	Libs *Libs
	// Probe is where the healthcheck.http probe comes from (probe.go); nil without healthcheck.http.
	Probe *ProbeSource
}

// Result is the converted build for one platform.
type Result struct {
	Final bkllb.State
	// Builder is the builder after compile and steps, kept for SBOM scans of the build.
	Builder bkllb.State
	// Deps is the dependency tree the final stage copies apart from Builder's /out (nil: none,
	// or with build.steps, which see it in /out). Its Src holds the same tree on Builder.
	Deps  *Deps
	Image *dockerspec.DockerOCIImage
}

// Convert turns a validated, defaulted spec into the final image for one platform.
func Convert(s *spec.Spec, in Inputs) (*Result, error) {
	if in.Plan.Build == nil {
		return nil, fmt.Errorf("language %q: no plan to convert (plan.New)", s.Language)
	}
	if len(in.Plan.RuntimeLibs) > 0 && in.Libs == nil {
		return nil, fmt.Errorf("runtime.libs: the packages were not resolved (RuntimeLibs, ReadLibs) before the conversion")
	}
	if in.Plan.Includes != nil {
		if err := checkIncludes(s, in.Plan.Includes(in.Files)); err != nil {
			return nil, err
		}
	}
	locate := locator(s, in.SourceMap)
	builder, deps, err := buildStage(s, in, locate)
	if err != nil {
		return nil, err
	}

	final := bkllb.Scratch().Platform(in.Target)
	if in.Base != nil {
		final = StripSetuid(in.Base.State, in.BaseSpecial, locate("base"))
	}
	if in.Libs != nil {
		final = libsCopy(final, in.Libs, in.Epoch, locate("runtime.libs"))
	}
	final = probeCopy(final, s, in.Probe, in.Epoch, locate("healthcheck.http"))
	if deps != nil {
		// A layer of its own, under the app's: a source change leaves it cached, and a deployment
		// that has the image before the change pulls only the app's layer after it.
		final = final.File(depsCopy(deps, in.Epoch), locate("artifacts"),
			bkllb.WithCustomName("copy the dependency tree to "+deps.Target()+" (root-owned, modes 0644/0755)"))
	}
	if err := checkRuntimeFiles(s, in.Plan, deps != nil); err != nil {
		return nil, err
	}
	final = final.File(artifactCopies(s, in.Plan, builder, deps != nil && deps.Root == "", in.Epoch, in.Context, locate), locate("artifacts"),
		bkllb.WithCustomName("copy artifacts to "+ArtifactDir+" (root-owned, modes 0644/0755)"))

	withEnv := *s
	if in.Plan.Env != nil {
		withEnv.Env = in.Plan.Env
	}
	img := ImageConfig(&withEnv, in.Plan.Entrypoint, in.Base, in.Target, in.Epoch)
	if in.Debug {
		img.Config.Labels[LabelVariant] = DebugTarget
		img.Config.Labels["org.opencontainers.image.description"] = "DEBUG build with a busybox shell (/busybox/sh): for troubleshooting, never for production"
	}
	if in.Libs != nil {
		img.Config.Labels[LabelRuntimeLibs] = libsLabel(in.Libs)
	}
	return &Result{Final: final, Builder: builder, Deps: deps, Image: img}, nil
}

// runSteps runs the spec's own builder commands after the compile: exec form, or a script of the
// builder's shell.
func runSteps(s *spec.Spec, st bkllb.State, locate func(string) bkllb.ConstraintsOpt, net bkllb.RunOption) bkllb.State {
	for i, step := range s.Build.Steps {
		name := step.Name
		switch {
		case name != "":
		case step.Sh != "":
			name = "sh: " + strings.SplitN(step.Sh, "\n", 2)[0]
		default:
			name = "run " + strings.Join(step.Run, " ")
		}
		opts := []bkllb.RunOption{
			bkllb.Args(step.Command()),
			bkllb.Dir(SrcDir),
			bkllb.AddEnv("HARDENED_OUT", StepsOutDir),
			bkllb.WithCustomName(name),
			locate(fmt.Sprintf("build.steps[%d]", i)),
			net,
		}
		opts = append(opts, BuilderEnv(s)...)
		st = st.Run(opts...).Root()
	}
	return st
}

// artifactCopies puts each artifact at /app/<name>, owned by root and not writable by
// the runtime user, without setuid/setgid bits whatever the builder left, and the /app
// directory itself at the epoch. An AppDir plan's app is the directory the builder laid
// out, its contents copied onto /app, which restamps /app as the copy's own time; withDeps,
// /app holds the dependency tree already (depsCopy). Files copied into an existing directory
// would leave it at the build's clock, so for the others /app is the builder's OutDir copied
// whole, or, when build.steps may have left more there, the artifacts assembled apart and copied
// whole.
//
// runtime.files join the app in a stage of its own, copied whole onto the final stage: a copy into the
// /app the artifacts made would leave it at the build's clock.
func artifactCopies(s *spec.Spec, p Plan, builder bkllb.State, withDeps bool, epoch *time.Time,
	context bkllb.State, locate func(string) bkllb.ConstraintsOpt) *bkllb.FileAction {
	fa := appCopies(s, p, builder, withDeps, epoch)
	if len(s.Runtime.Files) > 0 {
		for _, f := range s.Runtime.Files {
			clean := spec.RuntimeFile(f)
			// From the context, never the builder: build.steps cannot change what ships this way.
			info := finalCopyInfo(false, epoch)
			info.FollowSymlinks, info.CreateDestPath = true, true
			fa = fa.Copy(context, "/"+clean, ArtifactDir+"/"+clean, info)
		}
		staged := bkllb.Scratch().File(fa, bkllb.WithCustomName("stage "+ArtifactDir+" with runtime.files"), locate("runtime.files"))
		fa = bkllb.Copy(staged, ArtifactDir, ArtifactDir, finalCopyInfo(false, epoch))
	}
	if s.Workdir != "" && s.Workdir != ArtifactDir {
		fa = fa.Mkdir(s.Workdir, 0o755, bkllb.WithParents(true), bkllb.WithUIDGID(0, 0), createdTime{epoch})
	}
	return fa
}

// appCopies lays out /app from the builder, as artifactCopies says.
func appCopies(s *spec.Spec, p Plan, builder bkllb.State, withDeps bool, epoch *time.Time) *bkllb.FileAction {
	info := func(contents bool) *bkllb.CopyInfo { return finalCopyInfo(contents, epoch) }
	var fa *bkllb.FileAction
	if p.AppDir {
		if withDeps {
			fa = bkllb.Copy(builder, OutDir+"/", ArtifactDir+"/", info(true))
		} else {
			fa = bkllb.Mkdir(ArtifactDir, 0o755, bkllb.WithParents(true), bkllb.WithUIDGID(0, 0), createdTime{epoch}).
				Copy(builder, OutDir+"/", ArtifactDir+"/", info(true))
		}
	} else if len(s.Build.Steps) == 0 {
		// OutDir holds the artifacts and nothing else: copied whole, it becomes /app, root's and at the
		// epoch, in one copy of the artifacts (build.steps may leave more there, hence the staging below).
		fa = bkllb.Copy(builder, OutDir, ArtifactDir, info(false))
	} else {
		stage := bkllb.Mkdir(ArtifactDir, 0o755, bkllb.WithParents(true), bkllb.WithUIDGID(0, 0), createdTime{epoch})
		for i, a := range s.Artifacts {
			name := spec.ArtifactName(a)
			if i < len(p.ArtifactNames) {
				name = p.ArtifactNames[i]
			}
			stage = stage.Copy(builder, OutDir+"/"+name, ArtifactDir+"/"+name, info(false))
		}
		staged := bkllb.Scratch().File(stage, bkllb.WithCustomName("stage "+ArtifactDir))
		fa = bkllb.Copy(staged, ArtifactDir, ArtifactDir, info(false))
	}
	return fa
}

// checkRuntimeFiles refuses runtime.files where the plan cannot ship them: beside a dependency tree
// (the languages that have one ship context paths as artifacts), or over a binary the language names
// otherwise than the spec check could (a Go module root's binary is named after the module).
func checkRuntimeFiles(s *spec.Spec, p Plan, withDeps bool) error {
	if len(s.Runtime.Files) == 0 {
		return nil
	}
	if withDeps {
		return spec.Errors{{File: s.File(), Pos: s.Pos("runtime.files"), Field: "runtime.files",
			Msg: "language " + s.Language + " does not use runtime.files", Hint: "list the paths in artifacts, which ship as they are"}}
	}
	var errs spec.Errors
	for i, f := range s.Runtime.Files {
		top, _, _ := strings.Cut(spec.RuntimeFile(f), "/")
		if j := slices.Index(p.ArtifactNames, top); j >= 0 {
			field := fmt.Sprintf("runtime.files[%d]", i)
			errs = append(errs, spec.Error{File: s.File(), Pos: s.Pos(field), Field: field,
				Msg:  fmt.Sprintf("%q would be copied over /app/%s, the binary of artifacts[%d]", f, top, j),
				Hint: "rename the file or directory in the context, or the artifact's directory"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// depsCopy puts the dependency tree at /app/<Dest> (or its Root) from the step that made it, root-owned
// and without setuid/setgid bits; the copy makes /app (root's, 0755) and stamps it with the epoch.
func depsCopy(deps *Deps, epoch *time.Time) *bkllb.FileAction {
	info := finalCopyInfo(false, epoch)
	info.CreateDestPath = true
	return bkllb.Copy(deps.State, deps.Src, deps.Target(), info)
}

// finalCopyInfo is how everything is copied into /app: root-owned, modes normalised (AppMode,
// which clears setuid, setgid and sticky), at the epoch.
func finalCopyInfo(contents bool, epoch *time.Time) *bkllb.CopyInfo {
	return &bkllb.CopyInfo{
		Mode:                &bkllb.ChmodOpt{ModeStr: AppMode},
		ChownOpt:            &bkllb.ChownOpt{User: &bkllb.UserOpt{UID: 0}, Group: &bkllb.UserOpt{UID: 0}},
		CopyDirContentsOnly: contents,
		CreatedTime:         epoch,
	}
}

// createdTime stamps made directories with SOURCE_DATE_EPOCH when the build has one.
type createdTime struct{ epoch *time.Time }

func (c createdTime) SetMkdirOption(mi *bkllb.MkdirInfo) { mi.CreatedTime = c.epoch }

// BuildStage is the builder Convert makes from in, and the dependency tree it copies apart (nil for
// none): what the frontend starts compiling before the rest of the conversion's inputs are resolved.
func BuildStage(s *spec.Spec, in Inputs) (bkllb.State, *Deps, error) {
	return buildStage(s, in, locator(s, in.SourceMap))
}

// buildStage is the builder after build packages, the language's compile and the spec's steps,
// and a Dependencies language's tree. build.steps see the whole app in /out, the tree too, so
// with steps the tree is laid out there and ships from /out (deps is then nil).
func buildStage(s *spec.Spec, in Inputs, locate func(string) bkllb.ConstraintsOpt) (bkllb.State, *Deps, error) {
	builderImage := in.Builder
	builderImage.State = installBuildPackages(s, in.Builder.State, in.CacheNS, locate, network(in.Proxy))
	bi := &BuildInput{
		Spec:    s,
		Files:   in.Files,
		Builder: builderImage,
		Context: in.Context,
		Target:  in.Target,
		CacheNS: in.CacheNS,
		Epoch:   in.Epoch,
		Locate:  locate,
		Network: fetch(s, in.Proxy),
	}
	builder, deps, err := in.Plan.Build(bi)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	if len(s.Build.Steps) > 0 {
		builder = builder.File(bkllb.Symlink(OutDir, StepsOutDir),
			bkllb.WithCustomName("link "+StepsOutDir+" to "+OutDir+" for build.steps"), locate("build.steps"))
	}
	if deps != nil && deps.Root == "" && len(s.Build.Steps) > 0 {
		builder = builder.File(bkllb.Copy(builder, deps.Src, OutDir+"/"+deps.Dest, &bkllb.CopyInfo{CreateDestPath: true}),
			bkllb.WithCustomName("lay out "+deps.Dest+" in "+OutDir+" for build.steps"), locate("build.steps"))
		deps = nil
	}
	return runSteps(s, builder, locate, fetch(s, in.Proxy)), deps, nil
}

// Locator attaches the spec position of a field path to an op, for the frontend's own steps.
func Locator(s *spec.Spec, sm *bkllb.SourceMap) func(string) bkllb.ConstraintsOpt {
	return locator(s, sm)
}

// locator maps a spec field path to a source location on an op.
func locator(s *spec.Spec, sm *bkllb.SourceMap) func(string) bkllb.ConstraintsOpt {
	return func(path string) bkllb.ConstraintsOpt {
		p := s.Pos(path)
		if sm == nil || p.Line == 0 {
			return (*bkllb.SourceMap)(nil).Location(nil)
		}
		r := &pb.Range{
			Start: &pb.Position{Line: int32(p.Line), Character: int32(p.Col - 1)},
			End:   &pb.Position{Line: int32(p.Line), Character: int32(p.Col - 1)},
		}
		return sm.Location([]*pb.Range{r})
	}
}
