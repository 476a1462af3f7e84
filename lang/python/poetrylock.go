package python

import (
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// poetryLockFile is what the build reads of poetry.lock: lock-version 2.1 (Poetry 2) says which
// groups install each package and under what markers; older files are walked from pyproject.toml.
type poetryLockFile struct {
	Package  []poetryPackage `toml:"package"`
	Metadata struct {
		Files map[string][]poetryFile // lock-version 1.x kept the files here
	}
}

type poetryPackage struct {
	Name         string
	Version      string
	Groups       []string
	Markers      any // a string, or a table of markers by group
	Files        []poetryFile
	Dependencies map[string]any
	Extras       map[string][]string
	Source       *struct{ Type, URL string }
}

type poetryFile struct{ File, Hash string }

// poetryPlan reads poetry.lock as `poetry install --only main` would install it.
func poetryPlan(data, pyproject []byte) (*lockPlan, error) {
	var lock poetryLockFile
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, lockErr("run `poetry lock` again, or export requirements.txt with `poetry export --format requirements.txt --output requirements.txt`",
			"poetry.lock does not parse: %v", err)
	}
	var pp poetryPyproject
	if _, err := toml.Decode(string(pyproject), &pp); err != nil {
		return nil, lockErr("fix pyproject.toml", "pyproject.toml does not parse: %v", err)
	}
	byName := map[string]*poetryPackage{}
	grouped := false
	for i := range lock.Package {
		p := &lock.Package[i]
		if byName[normName(p.Name)] != nil && len(p.Groups) == 0 {
			return nil, lockErr("lock again with Poetry 2 (lock-version 2.1 says which one each group installs), or export requirements.txt",
				"poetry.lock locks two versions of %s", p.Name)
		}
		byName[normName(p.Name)] = p
		grouped = grouped || len(p.Groups) > 0
	}
	var reached map[string][]string
	var err error
	if grouped {
		reached = poetryMainGroup(lock.Package)
	} else {
		reached, err = poetryWalk(byName, pp.roots())
	}
	if err != nil {
		return nil, err
	}
	plan := &lockPlan{file: "poetry.lock", rootDir: ".", installRoot: pp.BuildSystem.BuildBackend != "" && pp.Tool.Poetry.PackageMode != false}
	var pkgs []lockedPackage
	var registries []string
	for _, p := range lock.Package {
		alts, ok := reached[normName(p.Name)+"=="+p.Version]
		if !ok {
			continue
		}
		lp, registry, err := poetryLocked(p, lock.Metadata.Files[p.Name])
		if err != nil {
			return nil, err
		}
		lp.marker = markerOf(alts)
		if err := lp.check("poetry.lock", "poetry.lock"); err != nil {
			return nil, err
		}
		pkgs = append(pkgs, lp)
		registries = append(registries, registry)
	}
	extra, err := indexOptions(plan, registries)
	if err != nil {
		return nil, err
	}
	plan.reqs = render("poetry.lock", pkgs, plan, extra)
	return plan, nil
}

// poetryMainGroup are the packages lock-version 2.1 puts in the main group, with its markers.
func poetryMainGroup(pkgs []poetryPackage) map[string][]string {
	reached := map[string][]string{}
	for _, p := range pkgs {
		if !slices.Contains(p.Groups, "main") {
			continue
		}
		var marker string
		switch m := p.Markers.(type) {
		case string:
			marker = m
		case map[string]any:
			marker, _ = m["main"].(string)
		}
		reached[normName(p.Name)+"=="+p.Version] = []string{and("", marker)}
	}
	return reached
}

// poetryWalk follows an older lock's dependencies from the project's, with their markers and extras.
func poetryWalk(byName map[string]*poetryPackage, roots []poetryDep) (map[string][]string, error) {
	node := func(d poetryDep) []edge {
		p := byName[normName(d.name)]
		if p == nil {
			return nil // a dependency for another Python or platform, which the lock left out
		}
		key := normName(p.Name) + "==" + p.Version
		out := []edge{{key, d.marker}}
		for _, x := range d.extras {
			out = append(out, edge{key + "[" + x + "]", d.marker})
		}
		return out
	}
	var rootEdges []edge
	for _, d := range roots {
		rootEdges = append(rootEdges, node(d)...)
	}
	return reach(rootEdges, func(n string) ([]edge, error) {
		key, extra := splitExtra(n)
		name, _, _ := strings.Cut(key, "==")
		p := byName[name]
		var out []edge
		if extra != "" {
			for _, req := range p.Extras[extra] {
				out = append(out, node(extraDep(p, req))...)
			}
			return out, nil
		}
		for name, spec := range p.Dependencies {
			for _, d := range poetryDeps(name, spec) {
				out = append(out, node(d)...)
			}
		}
		return out, nil
	})
}

// extraClause is the `extra == "x"` part of an optional dependency's marker.
var extraClause = regexp.MustCompile(`\s+and\s+extra\s*==\s*["'][^"']*["']|extra\s*==\s*["'][^"']*["']\s+and\s+|^\s*extra\s*==\s*["'][^"']*["']\s*$`)

// extraDep is a dependency an extra lists: its markers are those of the optional dependency the
// package declares for it (the extra's list often has none), without the extra clause.
func extraDep(p *poetryPackage, req string) poetryDep {
	d := pep508(req)
	for name, spec := range p.Dependencies {
		if normName(name) != normName(d.name) {
			continue
		}
		if t, ok := spec.(map[string]any); ok {
			m, _ := t["markers"].(string)
			d.marker = strings.TrimSpace(and(and("", d.marker), extraClause.ReplaceAllString(m, "")))
			d.marker = conjunction(d.marker)
		}
	}
	return d
}

// poetryLocked is one package's pin from its files' hashes, and the registry it comes from.
func poetryLocked(p poetryPackage, oldFiles []poetryFile) (lockedPackage, string, error) {
	lp := lockedPackage{name: p.Name, version: p.Version}
	registry := "https://pypi.org/simple"
	if p.Source != nil {
		switch p.Source.Type {
		case "legacy":
			registry = p.Source.URL
		case "url":
			lp.url = p.Source.URL
		default:
			return lp, "", lockErr("publish it to your index or wheelhouse and lock that, or export requirements.txt",
				"poetry.lock: %s comes from a %s source (%s), which pip --require-hashes cannot check against a hash", p.Name, p.Source.Type, p.Source.URL)
		}
	}
	for _, f := range append(p.Files, oldFiles...) {
		if f.Hash == "" {
			return lp, "", lockErr("lock again where the index gives hashes; pip installs nothing unhashed", "poetry.lock: %s %s has no hash for %s", p.Name, p.Version, f.File)
		}
		lp.hashes = append(lp.hashes, f.Hash)
	}
	if len(lp.hashes) == 0 {
		return lp, "", lockErr("lock again with Poetry, or export requirements.txt", "poetry.lock: %s %s lists no file to install", p.Name, p.Version)
	}
	return lp, registry, nil
}

// poetryPyproject is what the walk reads of pyproject.toml.
type poetryPyproject struct {
	Project struct {
		Dependencies []string
	}
	BuildSystem struct {
		BuildBackend string `toml:"build-backend"`
	} `toml:"build-system"`
	Tool struct {
		Poetry struct {
			PackageMode  any `toml:"package-mode"`
			Dependencies map[string]any
		}
	}
}

// poetryDep is a dependency as the walk needs it.
type poetryDep struct {
	name, marker string
	extras       []string
}

// roots are the project's main dependencies: PEP 621's, and [tool.poetry.dependencies] but python.
func (pp poetryPyproject) roots() []poetryDep {
	var out []poetryDep
	for _, r := range pp.Project.Dependencies {
		out = append(out, pep508(r))
	}
	for name, spec := range pp.Tool.Poetry.Dependencies {
		if name != "python" {
			out = append(out, poetryDeps(name, spec)...)
		}
	}
	return out
}

// poetryDeps reads a Poetry constraint: a version string, a table, or a list of tables each with
// its markers; optional ones are an extra's, which a plain install leaves out.
func poetryDeps(name string, spec any) []poetryDep {
	var tables []map[string]any
	switch v := spec.(type) {
	case map[string]any:
		tables = []map[string]any{v}
	case []map[string]any:
		tables = v
	case []any:
		for _, t := range v {
			if m, ok := t.(map[string]any); ok {
				tables = append(tables, m)
			}
		}
	default:
		return []poetryDep{{name: name}}
	}
	var out []poetryDep
	for _, t := range tables {
		if opt, _ := t["optional"].(bool); opt {
			continue
		}
		d := poetryDep{name: name}
		d.marker, _ = t["markers"].(string)
		if xs, ok := t["extras"].([]any); ok {
			for _, x := range xs {
				if s, ok := x.(string); ok {
					d.extras = append(d.extras, s)
				}
			}
		}
		out = append(out, d)
	}
	return out
}

// pep508Name is the name and extras at the start of a PEP 508 requirement.
var pep508Name = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?`)

// pep508 reads a requirement's name, extras and marker ("name[x] (>=1) ; marker").
func pep508(req string) poetryDep {
	body, marker, _ := strings.Cut(req, ";")
	m := pep508Name.FindStringSubmatch(body)
	if m == nil {
		return poetryDep{}
	}
	d := poetryDep{name: m[1], marker: strings.TrimSpace(marker)}
	for _, x := range strings.Split(m[2], ",") {
		if x = strings.TrimSpace(x); x != "" {
			d.extras = append(d.extras, x)
		}
	}
	return d
}
