package python

import (
	"path"
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// projectRoot is where the project's own install (from a lock, without dependencies) is put,
// pip's --root, so only its files are taken into the app's virtualenv.
const projectRoot = "/hardened/project"

// pyBuild is one build's steps, which share pip's environment, its cache and the spec's position.
type pyBuild struct {
	in    *llb.BuildInput
	env   []bkllb.RunOption
	cache bkllb.RunOption
	site  string // the virtualenv's site-packages, relative to it
}

func newPyBuild(in *llb.BuildInput) *pyBuild {
	return &pyBuild{
		in:    in,
		cache: llb.CacheMount(in.CacheNS, "python", "pip", pipCache, bkllb.CacheMountShared),
		env: append([]bkllb.RunOption{
			bkllb.AddEnv("PIP_CACHE_DIR", pipCache),
			bkllb.AddEnv("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
			bkllb.AddEnv("PIP_NO_INPUT", "1"),
			bkllb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
			bkllb.AddEnv("PYTHONDONTWRITEBYTECODE", "1"),
		}, llb.BuilderEnv(in.Spec)...),
		site: pythonSitePackages(llb.DebianOf(in.Spec).Python),
	}
}

func (b *pyBuild) run(st bkllb.State, args []string, opts ...bkllb.RunOption) bkllb.State {
	return st.Run(slices.Concat([]bkllb.RunOption{
		bkllb.Args(args), bkllb.Dir(llb.SrcDir),
		bkllb.WithCustomName(strings.Join(args, " ")), b.in.Locate("language"),
	}, opts, b.env)...).Root()
}

// install runs the builder's pip on the app's virtualenv, which has no pip of its own (pip >= 22.3's
// --python), so pip, setuptools and pip's cache never reach the app.
func (b *pyBuild) install(st bkllb.State, args ...string) bkllb.State {
	pip := []string{"python3", "-m", "pip", "--python", pythonVenv + "/bin/python", "install", "--no-compile"}
	return b.run(st, slices.Concat(pip, args), b.cache, b.in.Network)
}

// compile writes bytecode keyed by the source's hash, not its timestamp, with the paths it runs
// from: the same source gives the same files, and the read-only /app needs no writes at start.
func (b *pyBuild) compile(st bkllb.State, dir, name string) bkllb.State {
	return st.Run(
		bkllb.Args([]string{"python3", "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
			"-s", dir, "-p", llb.ArtifactDir, dir}),
		bkllb.Dir(dir), bkllb.Network(pb.NetMode_NONE), bkllb.AddEnv("PYTHONHASHSEED", "0"),
		bkllb.WithCustomName(name), b.in.Locate("artifacts"),
	).Root()
}

func (b *pyBuild) copySource(st bkllb.State) bkllb.State {
	source := &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     b.in.SourceExcludes(".venv", "**/__pycache__", "**/*.pyc"),
	}
	return st.File(bkllb.Copy(b.in.Context, "/", llb.SrcDir, source), bkllb.WithCustomName("copy source"), b.in.Locate("language"))
}

// copyInputs copies the context paths the install reads before the source, so a source change
// leaves the install cached.
func (b *pyBuild) copyInputs(st bkllb.State, include []string) bkllb.State {
	if len(include) == 0 {
		return st
	}
	return st.File(bkllb.Copy(b.in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     include,
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
	}), bkllb.WithCustomName("copy "+strings.Join(include, ", ")), b.in.Locate("language"))
}

// venv lays the virtualenv out as it runs in the image, at pythonDeps/.venv: distroless's
// interpreter, site-packages, and /app on sys.path so python -m finds the app's packages whatever
// the working directory. The builder's CPython is the same minor, so its site-packages path is the same.
func (b *pyBuild) venv(st bkllb.State) bkllb.State {
	g := llb.DebianOf(b.in.Spec)
	v := pythonDeps + "/.venv"
	fa := bkllb.Mkdir(v+"/bin", 0o755, bkllb.WithParents(true)).
		Mkfile(v+"/pyvenv.cfg", 0o644, []byte("home = "+path.Dir(g.PythonInterpreter)+
			"\ninclude-system-site-packages = false\nversion = "+g.Python+"\n")).
		Symlink(g.PythonInterpreter, v+"/bin/python").
		Symlink("python", v+"/bin/python3").
		Copy(st, pythonVenv+"/"+b.site, v+"/"+b.site, &bkllb.CopyInfo{CreateDestPath: true}).
		Mkfile(v+"/"+b.site+"/hardened-app.pth", 0o644, []byte(llb.ArtifactDir+"\n"))
	st = st.File(fa, bkllb.WithCustomName("lay out the virtualenv .venv in "+pythonDeps), b.in.Locate("language"))
	return b.compile(st, pythonDeps, "compile bytecode in "+pythonDeps)
}

// fromLock installs what a lock pins from the requirements file written from it, with every hash
// checked and nothing resolved again (--no-deps: the lock is complete), before the source; then
// the project itself (or the workspace member that is the app), without dependencies, into projectRoot.
func (b *pyBuild) fromLock(st bkllb.State, lock *lockPlan) (deps, out bkllb.State) {
	st = st.File(bkllb.Mkdir(path.Dir(lockRequirements), 0o755, bkllb.WithParents(true)).
		Mkfile(lockRequirements, 0o644, lock.reqs),
		bkllb.WithCustomName("write "+lockRequirements+" from "+lock.file), b.in.Locate("language"))
	st = b.copyInputs(st, pipInputs(b.in.Spec, lock.reqs))
	deps = b.venv(b.install(st, "--require-hashes", "--no-deps", "-r", lockRequirements))
	out = b.copySource(deps)
	if lock.installRoot {
		args := []string{"--no-deps", "--root", projectRoot}
		for _, f := range lock.findLinks {
			args = append(args, "--find-links", f)
		}
		if lock.noIndex {
			args = append(args, "--no-index")
		}
		dir := lock.rootDir
		if dir != "." {
			dir = "./" + dir // else pip reads a member's directory as a package name
		}
		out = b.install(out, append(args, dir)...)
	}
	return deps, out
}

// Build's tree is the virtualenv as it runs in the image, compiled, made before the source is
// copied (after it for a pyproject.toml project without a lock, whose install builds the source).
func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	s := in.Spec
	lock, err := readLock(s, in.Files)
	if err != nil {
		return bkllb.State{}, nil, err
	}
	b := newPyBuild(in)
	// No second virtualenv with pip in it: ensurepip costs seconds on every cold build.
	st := b.run(in.Builder.State, []string{"python3", "-m", "venv", "--without-pip", pythonVenv}, bkllb.Network(pb.NetMode_NONE))
	reqs, hasReqs := in.Files["requirements.txt"]
	_, hasProject := in.Files["pyproject.toml"]
	var deps bkllb.State
	switch {
	case lock != nil:
		deps, st = b.fromLock(st, lock)
	case hasReqs:
		// requirements.txt and what it reads first; pip itself honours --require-hashes, --no-index
		// and --find-links written there.
		st = b.copyInputs(st, append([]string{"requirements.txt"}, pipInputs(s, reqs)...))
		deps = b.venv(b.install(st, "-r", "requirements.txt"))
		st = b.copySource(deps)
	case hasProject:
		// Building the project needs its source, so this install follows every change.
		deps = b.venv(b.install(b.copySource(st), "."))
		st = deps
	default:
		deps = b.venv(st)
		st = b.copySource(deps)
	}

	// The artifacts, which the final stage takes with the virtualenv of deps; the project's own
	// install from a lock joins that virtualenv from here.
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true))
	if lock != nil && lock.installRoot {
		fa = fa.Copy(st, projectRoot+pythonVenv+"/"+b.site, llb.OutDir+"/.venv/"+b.site, &bkllb.CopyInfo{CreateDestPath: true})
	}
	for _, a := range s.Artifacts {
		clean := path.Clean(a)
		if clean == "." {
			fa = fa.Copy(st, llb.SrcDir+"/", llb.OutDir+"/", &bkllb.CopyInfo{CopyDirContentsOnly: true, AlwaysReplaceExistingDestPaths: true})
			continue
		}
		fa = fa.Copy(st, llb.SrcDir+"/"+clean, llb.OutDir+"/"+clean, &bkllb.CopyInfo{CreateDestPath: true, AlwaysReplaceExistingDestPaths: true})
	}
	st = st.File(fa, bkllb.WithCustomName("lay out the app in "+llb.OutDir+": the artifacts"), in.Locate("artifacts"))
	return b.compile(st, llb.OutDir, "compile bytecode in "+llb.OutDir), &llb.Deps{State: deps, Src: pythonDeps + "/.venv", Dest: ".venv"}, nil
}
