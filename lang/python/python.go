package python

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

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
		Fields: []string{"version", "build.env", "build.steps", "build.packages"}, Markers: []string{"pyproject.toml", "requirements.txt"},
		BuilderImages: []string{"python"}, VersionTags: true}
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

func (Language) Builder(s *spec.Spec, files llb.Files, target, _ ocispecs.Platform) (llb.ImageRequest, error) {
	v, field, err := pythonVersion(s)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	// A lock pip cannot honour fails here, before any image is pulled.
	if _, err := readLock(s, files); err != nil {
		return llb.ImageRequest{}, err
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

func (Language) ImageEnv(*spec.Spec) map[string]string { return nil }

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
