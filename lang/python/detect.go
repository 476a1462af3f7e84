package python

import (
	"github.com/hardenedbuild/hardened/lang"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// pythonMinor is the only CPython distroless python3-debian13 runs, so the only version a
// python spec can name.
const pythonMinor = "3.13"

// pythonEntryScripts are the scripts a project is commonly started by, in the order init
// prefers them.
var pythonEntryScripts = []string{"main.py", "app.py", "server.py"}

// pythonNotApp are top-level files and directories that are not part of the app at run time.
var pythonNotApp = []string{"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py", "tests.py", "test.py",
	"test", "tests", "testing", "docs", "doc", "examples", "scripts", "build", "dist", "venv", "env", "site-packages", "node_modules"}

// pythonScriptRef is a [project.scripts] value: module:function.
var pythonScriptRef = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_]*)$`)

// pyprojectTOML is what init reads of pyproject.toml.
type pyprojectTOML struct {
	Project struct {
		Name           string
		RequiresPython string         `toml:"requires-python"`
		Scripts        map[string]any `toml:"scripts"`
		Dependencies   []string
	}
	Tool struct {
		Poetry struct {
			Dependencies map[string]any
		}
	}
}

// initEntry is one way the app may be started.
type initEntry struct {
	artifact   string
	entrypoint []string // empty: the first artifact runs as it is
	why        string
}

// project is what init knows of a Python project directory.
type project struct {
	dir, marker string
	pyproject   pyprojectTOML
	md          toml.MetaData
	// installs: the build runs pip install ., which puts src/ packages on the path.
	installs   bool
	mods, pkgs []string
	deps       map[string]bool // normalised names of the project's (locked) dependencies
	warnings   []string
}

// readProject reads the project's files, nil when dir has no Python project.
func readProject(dir string) (*project, error) {
	p := &project{dir: dir}
	for _, f := range []string{"pyproject.toml", "requirements.txt", "Pipfile"} {
		if lang.IsFile(filepath.Join(dir, f)) {
			p.marker = f
			break
		}
	}
	if p.marker == "" {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "pyproject.toml"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if p.md, err = toml.Decode(string(data), &p.pyproject); err != nil {
		return nil, fmt.Errorf("python: pyproject.toml does not parse: %v", err)
	}
	p.installs = len(data) > 0 && !lang.IsFile(filepath.Join(dir, "requirements.txt"))
	if p.mods, p.pkgs, err = pythonTopLevel(dir); err != nil {
		return nil, err
	}
	p.deps = projectDeps(dir, p.pyproject)
	if p.marker == "Pipfile" && !lang.IsFile(filepath.Join(dir, "Pipfile.lock")) {
		p.warnings = append(p.warnings, "Pipfile has no Pipfile.lock beside it, and the build installs from the lock: run `pipenv lock` and add Pipfile.lock to the build context")
	}
	return p, nil
}

// detectPython finds what runs: a web app a server in the dependencies can serve, a package with
// __main__.py (python -m), else main.py, app.py or server.py, else a [project.scripts] entry of
// pyproject.toml; the other top-level modules and packages ship beside it.
func (Language) Detect(dir string) (*lang.Detection, error) {
	p, err := readProject(dir)
	if p == nil || err != nil {
		return nil, err
	}
	entries := slices.Concat(p.servers(), p.mainPackages(), p.entryScripts(), p.scripts())
	if len(entries) == 0 {
		return nil, fmt.Errorf("python: %s found, but nothing to run: no web app with a server in the dependencies, no package with __main__.py, no %s and no [project.scripts] entry init can resolve; "+
			"write the spec by hand with artifacts: [your_script.py, ...] (docs/languages.md)", p.marker, strings.Join(pythonEntryScripts, ", "))
	}
	return p.detection(entries), nil
}

// mainPackages are the packages python -m runs: top-level ones, and src/ ones pip installs.
func (p *project) mainPackages() []initEntry {
	var entries []initEntry
	for _, pkg := range p.pkgs {
		if lang.IsFile(filepath.Join(p.dir, pkg, "__main__.py")) {
			entries = append(entries, initEntry{artifact: pkg, why: pkg + "/__main__.py: python -m " + pkg})
		}
	}
	if !p.installs {
		return entries
	}
	srcPkgs, _ := pythonPackages(filepath.Join(p.dir, "src"))
	for _, pkg := range srcPkgs {
		if lang.IsFile(filepath.Join(p.dir, "src", pkg, "__main__.py")) {
			entries = append(entries, initEntry{artifact: "src/" + pkg, entrypoint: []string{pythonEntry, "-m", pkg},
				why: "src/" + pkg + "/__main__.py: python -m " + pkg + ", as pip install . installs it"})
		}
	}
	return entries
}

// entryScripts are the top-level scripts named as entry points commonly are.
func (p *project) entryScripts() []initEntry {
	var entries []initEntry
	for _, f := range pythonEntryScripts {
		if slices.Contains(p.mods, f) {
			entries = append(entries, initEntry{artifact: f, why: "a script named like an entry point"})
		}
	}
	return entries
}

// scripts are [project.scripts] entries init can resolve, in the file's order.
func (p *project) scripts() []initEntry {
	var entries []initEntry
	for _, key := range p.md.Keys() {
		if len(key) != 3 || key[0] != "project" || key[1] != "scripts" {
			continue
		}
		ref, _ := p.pyproject.Project.Scripts[key[2]].(string)
		if e, ok := pythonScript(p.dir, key[2], ref, p.mods, p.pkgs, p.installs); ok {
			entries = append(entries, e)
		}
	}
	return entries
}

// detection is the spec init writes for the first entry; the others are named in warnings.
func (p *project) detection(entries []initEntry) *lang.Detection {
	det := &lang.Detection{Marker: p.marker, Comments: map[string]string{}, Warnings: p.warnings}
	entry := entries[0]
	for _, other := range entries[1:] {
		if other.artifact != entry.artifact {
			det.Warnings = append(det.Warnings, fmt.Sprintf("%s could start the app too (%s); %s runs, put the other first in artifacts to run it instead", other.artifact, other.why, entry.artifact))
		}
	}
	det.Artifacts = []string{entry.artifact}
	det.Entrypoint = entry.entrypoint
	for _, a := range append(p.pkgs, p.mods...) {
		if !slices.Contains(det.Artifacts, a) {
			det.Artifacts = append(det.Artifacts, a)
		}
	}
	dirs := p.runtimeDirs()
	det.Artifacts = append(det.Artifacts, dirs...)
	runs := entry.artifact + " is what python runs (" + entry.why + ")"
	if len(entry.entrypoint) > 0 {
		runs = entry.artifact + " holds what the entrypoint runs"
		det.Comments["entrypoint"] = "Runs " + entry.why + "."
	}
	if len(det.Artifacts) > 1+len(dirs) {
		runs += ";\nthe rest are the modules and packages beside it"
	}
	if len(dirs) > 0 {
		runs += ";\n" + strings.Join(dirs, ", ") + ": named in the code, read at run time"
	}
	det.Comments["artifacts"] = runs + ". Add every other file the app reads at run time."
	det.Version = pythonMinor
	det.Comments["version"] = "distroless python3-debian13 is CPython " + pythonMinor + ", the only Python the image can run."
	if v := p.pyproject.Project.RequiresPython; v != "" && !pythonAllows(v, 13) {
		det.Warnings = append(det.Warnings, fmt.Sprintf("pyproject.toml's requires-python %q excludes CPython %s, the only one the image runs", v, pythonMinor))
	}
	return det
}

// pythonScript resolves a [project.scripts] entry (name = "pkg.cli:main") to the artifact
// that holds its module and an entrypoint that calls it as the console script would.
func pythonScript(dir, name, ref string, mods, pkgs []string, installed bool) (initEntry, bool) {
	m := pythonScriptRef.FindStringSubmatch(strings.TrimSpace(ref))
	if m == nil {
		return initEntry{}, false
	}
	top, _, _ := strings.Cut(m[1], ".")
	var artifact string
	switch {
	case slices.Contains(pkgs, top):
		artifact = top
	case slices.Contains(mods, top+".py"):
		artifact = top + ".py"
	case installed && lang.IsFile(filepath.Join(dir, "src", top, "__init__.py")):
		artifact = "src/" + top
	case installed && lang.IsFile(filepath.Join(dir, "src", top+".py")):
		artifact = "src/" + top + ".py"
	default:
		return initEntry{}, false
	}
	code := fmt.Sprintf("import sys; from %s import %s; sys.exit(%s())", m[1], m[2], m[2])
	return initEntry{artifact: artifact, entrypoint: []string{"/app/.venv/bin/python", "-c", code},
		why: fmt.Sprintf("[project.scripts] %s = %s, as its console script would", name, strconv.Quote(ref))}, true
}

// pythonTopLevel lists, sorted, the app's top-level modules (.py files) and packages
// (directories with __init__.py or __main__.py), leaving out tests, tooling and environments.
func pythonTopLevel(dir string) (mods, pkgs []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || slices.Contains(pythonNotApp, n) {
			continue
		}
		if e.Type().IsRegular() && strings.HasSuffix(n, ".py") && !strings.HasPrefix(n, "test_") && !strings.HasSuffix(n, "_test.py") {
			mods = append(mods, n)
		}
	}
	pkgs, err = pythonPackages(dir)
	return mods, pkgs, err
}

// pythonPackages lists, sorted, the package directories directly under dir.
func pythonPackages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || slices.Contains(pythonNotApp, n) || strings.Contains(n, "-") {
			continue
		}
		if lang.IsFile(filepath.Join(dir, n, "__init__.py")) || lang.IsFile(filepath.Join(dir, n, "__main__.py")) {
			pkgs = append(pkgs, n)
		}
	}
	return pkgs, nil
}

var pythonSpecifier = regexp.MustCompile(`(>=|<=|==|~=|!=|>|<)\s*3\.([0-9]+)(?:\.\*)?`)

// pythonAllows says whether a requires-python specifier admits CPython 3.minor; it reads the
// comparisons on 3.N only, which is what projects write.
func pythonAllows(spec string, minor int) bool {
	for _, m := range pythonSpecifier.FindAllStringSubmatch(spec, -1) {
		n, _ := strconv.Atoi(m[2])
		switch m[1] {
		case ">=", "~=":
			if minor < n {
				return false
			}
		case ">":
			if minor <= n {
				return false
			}
		case "<":
			if minor >= n {
				return false
			}
		case "<=":
			if minor > n {
				return false
			}
		case "==":
			if minor != n {
				return false
			}
		}
	}
	return true
}
