package python

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// python installs dependencies with pip into a virtualenv in the official python image and
// ships that virtualenv's site-packages with the app's files on distroless python3, which has
// Debian's CPython (3.13 at /usr/bin/python3.13 on Debian 13) and no pip, no compiler and no shell.
//
// Artifacts are the files and directories the app needs at run time, relative to the
// context; each keeps its path under /app, next to the virtualenv /app/.venv. The first
// artifact is what runs: a .py script, or a package directory run with python -m.
type Language struct{}

const (
	// pythonVenv is the virtualenv in the builder, and pythonAppVenv where it runs in the image.
	pythonVenv    = "/venv"
	pythonAppVenv = llb.ArtifactDir + "/.venv"
	// pythonDeps holds .venv as it ships, apart from the artifacts in /out.
	pythonDeps  = "/deps"
	pythonEntry = pythonAppVenv + "/bin/python"
	pipCache    = "/root/.cache/pip"
)

// Describe is the language's part of the spec fields' descriptions.
func (Language) Describe() map[string]string {
	return map[string]string{
		"version":   "3.13, the CPython of distroless python3-debian13",
		"artifacts": "the app's files and directories, the first (a .py script or a package) run by python",
	}
}

func (Language) Name() string { return "python" }

func (Language) Inputs() lang.Inputs {
	return lang.Inputs{Manifests: []string{"requirements.txt", "pyproject.toml"}, LockFiles: []string{"uv.lock", "poetry.lock", "Pipfile.lock"},
		Fields: []string{"version", "build.env", "build.steps", "build.packages"}, Markers: []string{"pyproject.toml", "requirements.txt"}}
}

func (Language) Layout() lang.Layout { return lang.Layout{AppDir: true} }

var pythonModulePath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$`)

// pythonSitePackages is a virtualenv's site-packages, relative to it, for a CPython minor.
func pythonSitePackages(minor string) string { return "lib/python" + minor + "/site-packages" }

func (Language) Validate(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	if e := pythonVersionError(s); e != nil {
		errs = append(errs, *e)
	}
	if len(s.Entrypoint) == 0 && len(s.Artifacts) > 0 {
		if a := path.Clean(s.Artifacts[0]); !strings.HasSuffix(a, ".py") && !pythonModulePath.MatchString(a) {
			errs = append(errs, spec.Error{Field: "artifacts[0]",
				Msg:  fmt.Sprintf("%q is neither a .py script nor a package python -m can run", s.Artifacts[0]),
				Hint: "put the script (app.py) or the package directory (app) first in artifacts, or set entrypoint"})
		}
	}
	return errs
}

// pythonVersionError refuses a version the runtime cannot run: distroless python3 of a Debian
// release has one CPython, so an app built for another minor would fail at its first import.
func pythonVersionError(s *spec.Spec) *spec.Error {
	g := llb.DebianOf(s)
	v := s.Version
	if patch, exact := strings.CutPrefix(v, g.Python+"."); v == "" || v == g.Python || exact && pythonPatch.MatchString(patch) {
		return nil
	}
	hint := fmt.Sprintf("write version: %q (or an exact %s.N), or remove it", g.Python, g.Python)
	for _, other := range llb.DebianGens {
		if other.Current && other.Python != g.Python && strings.HasPrefix(v+".", other.Python+".") {
			hint = fmt.Sprintf("remove debian: %q to build on %s, whose python3 is CPython %s, or %s", s.Debian, other.Name(), other.Python, hint)
		}
	}
	return &spec.Error{Field: "version",
		Msg:  fmt.Sprintf("%q: distroless python3-debian%s runs CPython %s only", v, g.Version, g.Python),
		Hint: hint}
}

// pythonPatch is the patch number of an exact version.
var pythonPatch = regexp.MustCompile(`^[0-9]+$`)

// pythonVersion is the builder tag: the spec's version, which must name the base's CPython, else that one.
func pythonVersion(s *spec.Spec) (version, field string, err error) {
	if e := pythonVersionError(s); e != nil {
		e.File, e.Pos = s.File(), s.Pos("version")
		return "", "", spec.Errors{*e}
	}
	if s.Version == "" {
		return llb.DebianOf(s).Python, "language", nil
	}
	return s.Version, "version", nil
}

// pythonLocks are lock files of other installers, each with the command that exports it to
// the requirements.txt pip installs from.
var pythonLocks = []struct{ file, export string }{
	{"uv.lock", "uv export --format requirements-txt --output-file requirements.txt"},
	{"poetry.lock", "poetry export --format requirements.txt --output requirements.txt"},
	{"Pipfile.lock", "pipenv requirements --hash > requirements.txt"},
}

func (Language) Builder(s *spec.Spec, files llb.Files, target, _ ocispecs.Platform) (llb.ImageRequest, error) {
	v, field, err := pythonVersion(s)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	if _, ok := files["requirements.txt"]; !ok {
		for _, l := range pythonLocks {
			if _, ok := files[l.file]; ok {
				return llb.ImageRequest{}, spec.Errors{{
					File: s.File(), Pos: s.Pos("language"), Field: "language",
					Msg:  l.file + " is in the build context but pip does not install from it, and installing without it would ignore what it locks",
					Hint: "export it with `" + l.export + "` and add requirements.txt to the context",
				}}
			}
		}
	}
	// pip may build native extensions for the target.
	return llb.ImageRequest{
		Ref:      "docker.io/library/python:" + v + "-" + llb.DebianOf(s).Codename,
		Role:     "builder",
		Platform: target,
		Field:    field,
	}, nil
}

func (Language) Base(s *spec.Spec, _ llb.Files, target ocispecs.Platform) (llb.ImageRequest, error) {
	_, field, err := pythonVersion(s)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	return llb.Distroless(s, "python3", target, field), nil
}

// BaseReadsNoFiles: the base is python3's whatever the context holds (BaseFromSpec).
func (Language) BaseNeedsFiles(*spec.Spec) bool { return false }

// Entrypoint runs the virtualenv's python, a link to distroless's interpreter, so the
// app's dependencies are on sys.path without any environment variable.
func (Language) Entrypoint(s *spec.Spec, _ llb.Files) []string {
	if len(s.Artifacts) == 0 {
		return nil
	}
	a := path.Clean(s.Artifacts[0])
	if strings.HasSuffix(a, ".py") {
		return []string{pythonEntry, path.Join(llb.ArtifactDir, a)}
	}
	return []string{pythonEntry, "-m", strings.ReplaceAll(a, "/", ".")}
}

func (Language) ArtifactName(artifact string, _ llb.Files) string { return spec.ArtifactName(artifact) }

func (Language) ImageEnv() map[string]string { return nil }

// pipComment is a comment in a requirements file, as pip strips it.
var pipComment = regexp.MustCompile(`(^|\s)#.*$`)

// pipInputs are the context paths the dependency install reads besides requirements.txt:
// the files it includes with -r or -c and the local wheelhouses it names with --find-links
// (in requirements.txt, or in build.env PIP_FIND_LINKS), so they are copied before the
// install and a change to the source alone leaves it cached.
func pipInputs(s *spec.Spec, reqs []byte) []string {
	var paths []string
	add := func(p string) {
		if p == "" || strings.Contains(p, "://") || path.IsAbs(p) {
			return // an index URL, or a path of the builder
		}
		if p = path.Clean(p); p != "." && p != ".." && !strings.HasPrefix(p, "../") && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	for _, line := range strings.Split(string(reqs), "\n") {
		f := strings.Fields(pipComment.ReplaceAllString(line, ""))
		for i := 0; i < len(f); i++ {
			opt, val, hasVal := strings.Cut(f[i], "=")
			switch opt {
			case "-r", "--requirement", "-c", "--constraint", "-f", "--find-links":
				if !hasVal && i+1 < len(f) {
					i++
					val = f[i]
				}
				add(val)
			default:
				for _, short := range []string{"-r", "-c", "-f"} {
					if v, ok := strings.CutPrefix(f[i], short); ok && v != "" && !strings.HasPrefix(v, "-") {
						add(v)
					}
				}
			}
		}
	}
	for _, p := range strings.Fields(s.Build.Env["PIP_FIND_LINKS"]) {
		add(p)
	}
	return paths
}

// Build's tree is the virtualenv as it runs in the image, compiled, made before the source is
// copied (after it for a pyproject.toml project, whose install builds the source).
func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	s := in.Spec
	cache := llb.CacheMount(in.CacheNS, "python", "pip", pipCache, bkllb.CacheMountShared)
	env := append([]bkllb.RunOption{
		bkllb.AddEnv("PIP_CACHE_DIR", pipCache),
		bkllb.AddEnv("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
		bkllb.AddEnv("PIP_NO_INPUT", "1"),
		bkllb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		bkllb.AddEnv("PYTHONDONTWRITEBYTECODE", "1"),
	}, llb.BuilderEnv(s)...)
	run := func(st bkllb.State, args []string, opts ...bkllb.RunOption) bkllb.State {
		return st.Run(slices.Concat([]bkllb.RunOption{
			bkllb.Args(args), bkllb.Dir(llb.SrcDir),
			bkllb.WithCustomName(strings.Join(args, " ")), in.Locate("language"),
		}, opts, env)...).Root()
	}
	// Bytecode keyed by the source's hash, not its timestamp, with the paths it runs from:
	// the same source gives the same files, and the read-only /app needs no writes at start.
	compile := func(st bkllb.State, dir, name string) bkllb.State {
		return st.Run(
			bkllb.Args([]string{"python3", "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
				"-s", dir, "-p", llb.ArtifactDir, dir}),
			bkllb.Dir(dir), bkllb.Network(pb.NetMode_NONE), bkllb.AddEnv("PYTHONHASHSEED", "0"),
			bkllb.WithCustomName(name), in.Locate("artifacts"),
		).Root()
	}

	// The app's virtualenv has no pip: the builder's pip installs into it (pip >= 22.3's --python), so pip,
	// setuptools and pip's cache never reach the app, and no second virtualenv is made (ensurepip costs
	// seconds on every cold build).
	st := run(in.Builder.State, []string{"python3", "-m", "venv", "--without-pip", pythonVenv}, bkllb.Network(pb.NetMode_NONE))
	pip := []string{"python3", "-m", "pip", "--python", pythonVenv + "/bin/python", "install", "--no-compile"}
	install := func(st bkllb.State, args ...string) bkllb.State {
		return run(st, slices.Concat(pip, args), cache, in.Network)
	}

	source := &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ExcludePatterns:     in.SourceExcludes(".venv", "**/__pycache__", "**/*.pyc"),
	}
	copySource := func(st bkllb.State) bkllb.State {
		return st.File(bkllb.Copy(in.Context, "/", llb.SrcDir, source), bkllb.WithCustomName("copy source"), in.Locate("language"))
	}
	// The virtualenv as it runs in the image, at pythonDeps/.venv: distroless's interpreter,
	// site-packages, and /app on sys.path so python -m finds the app's packages whatever the
	// working directory.
	// The builder's CPython (/usr/local/bin) is the same minor, so its site-packages path is the same.
	g := llb.DebianOf(s)
	site := pythonSitePackages(g.Python)
	venv := func(st bkllb.State) bkllb.State {
		v := pythonDeps + "/.venv"
		fa := bkllb.Mkdir(v+"/bin", 0o755, bkllb.WithParents(true)).
			Mkfile(v+"/pyvenv.cfg", 0o644, []byte("home = "+path.Dir(g.PythonInterpreter)+
				"\ninclude-system-site-packages = false\nversion = "+g.Python+"\n")).
			Symlink(g.PythonInterpreter, v+"/bin/python").
			Symlink("python", v+"/bin/python3").
			Copy(st, pythonVenv+"/"+site, v+"/"+site, &bkllb.CopyInfo{CreateDestPath: true}).
			Mkfile(v+"/"+site+"/hardened-app.pth", 0o644, []byte(llb.ArtifactDir+"\n"))
		st = st.File(fa, bkllb.WithCustomName("lay out the virtualenv .venv in "+pythonDeps), in.Locate("language"))
		return compile(st, pythonDeps, "compile bytecode in "+pythonDeps)
	}
	reqs, hasReqs := in.Files["requirements.txt"]
	_, hasProject := in.Files["pyproject.toml"]
	var deps bkllb.State
	switch {
	case hasReqs:
		// requirements.txt and what it reads first, so a source change reuses the install.
		// pip itself honours --require-hashes, --no-index and --find-links written there.
		include := append([]string{"requirements.txt"}, pipInputs(s, reqs)...)
		st = st.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
			IncludePatterns:     include,
			CopyDirContentsOnly: true,
			CreateDestPath:      true,
		}), bkllb.WithCustomName("copy "+strings.Join(include, ", ")), in.Locate("language"))
		deps = venv(install(st, "-r", "requirements.txt"))
		st = copySource(deps)
	case hasProject:
		// Building the project needs its source, so this install follows every change.
		deps = venv(install(copySource(st), "."))
		st = deps
	default:
		deps = venv(st)
		st = copySource(deps)
	}

	// The artifacts, which the final stage takes with the virtualenv of deps.
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true))
	for _, a := range s.Artifacts {
		clean := path.Clean(a)
		if clean == "." {
			fa = fa.Copy(st, llb.SrcDir+"/", llb.OutDir+"/", &bkllb.CopyInfo{CopyDirContentsOnly: true, AlwaysReplaceExistingDestPaths: true})
			continue
		}
		fa = fa.Copy(st, llb.SrcDir+"/"+clean, llb.OutDir+"/"+clean, &bkllb.CopyInfo{CreateDestPath: true, AlwaysReplaceExistingDestPaths: true})
	}
	st = st.File(fa, bkllb.WithCustomName("lay out the app in "+llb.OutDir+": the artifacts"), in.Locate("artifacts"))
	return compile(st, llb.OutDir, "compile bytecode in "+llb.OutDir), &llb.Deps{State: deps, Src: pythonDeps + "/.venv", Dest: ".venv"}, nil
}
