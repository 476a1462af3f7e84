package python

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/hardenedbuild/hardened/llb"
)

// uvLockFile is what the build reads of uv.lock.
type uvLockFile struct {
	Version int
	Package []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name         string
	Version      string
	Source       uvSource
	Dependencies []uvDep
	Optional     map[string][]uvDep `toml:"optional-dependencies"`
	Sdist        *uvFile
	Wheels       []uvFile
}

// uvSource is where a package comes from: exactly one field is set.
type uvSource struct {
	Registry, Editable, Virtual, Directory, Path, Git, URL string
}

type uvDep struct {
	Name    string
	Version string
	Marker  string
	Extra   []string
}

type uvFile struct{ URL, Path, Hash string }

// uvPlan reads uv.lock as `uv sync --frozen --no-dev` would install it: the project's
// dependencies and theirs, with the extras they ask for, never the dev groups; every package
// from a registry pinned with the hashes of its files.
func uvPlan(data, pyproject []byte) (*lockPlan, error) {
	var lock uvLockFile
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, lockErr("run `uv lock` again, or export requirements.txt with `uv export --format requirements-txt --output-file requirements.txt`",
			"uv.lock does not parse: %v", err)
	}
	root, err := uvRoot(lock.Package, pyproject)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*uvPackage{}
	byName := map[string][]*uvPackage{}
	for i := range lock.Package {
		p := &lock.Package[i]
		byKey[uvKey(p.Name, p.Version)] = p
		byName[normName(p.Name)] = append(byName[normName(p.Name)], p)
	}
	resolve := func(from *uvPackage, d uvDep) (string, error) {
		cands := byName[normName(d.Name)]
		for _, c := range cands {
			if d.Version == "" && len(cands) == 1 || d.Version == c.Version {
				return uvKey(c.Name, c.Version), nil
			}
		}
		return "", lockErr("run `uv lock` again", "uv.lock: %s %s depends on %s, which the lock has no single package for", from.Name, from.Version, d.Name)
	}
	edges := func(from *uvPackage, deps []uvDep) ([]edge, error) {
		var out []edge
		for _, d := range deps {
			to, err := resolve(from, d)
			if err != nil {
				return nil, err
			}
			out = append(out, edge{to, d.Marker})
			for _, x := range d.Extra {
				out = append(out, edge{to + "[" + x + "]", d.Marker})
			}
		}
		return out, nil
	}
	roots, err := edges(root, root.Dependencies)
	if err != nil {
		return nil, err
	}
	reached, err := reach(roots, func(node string) ([]edge, error) {
		key, extra := splitExtra(node)
		p := byKey[key]
		if extra == "" {
			return edges(p, p.Dependencies)
		}
		return edges(p, p.Optional[extra])
	})
	if err != nil {
		return nil, err
	}
	return uvRequirements(byKey, reached, root)
}

// uvRequirements turns the reached packages into the requirements file.
func uvRequirements(byKey map[string]*uvPackage, reached map[string][]string, root *uvPackage) (*lockPlan, error) {
	plan := &lockPlan{file: "uv.lock", installRoot: root.Source.Virtual == "" && root.Source.Editable != "",
		rootDir: path.Clean(root.Source.Editable + root.Source.Virtual)}
	if llb.LeavesContext(plan.rootDir) || strings.HasPrefix(plan.rootDir, "-") {
		return nil, lockErr("build from a directory that holds the project", "uv.lock: the project %s is at %s, outside the build context", root.Name, plan.rootDir)
	}
	var pkgs []lockedPackage
	var registries []string
	for node, alts := range reached {
		if _, extra := splitExtra(node); extra != "" {
			continue
		}
		p := byKey[node]
		if p == root {
			continue // a dependency cycle back to the project
		}
		lp, err := uvLocked(p)
		if err != nil {
			return nil, err
		}
		lp.marker = markerOf(alts)
		if err := lp.check("uv.lock", "uv.lock"); err != nil {
			return nil, err
		}
		pkgs = append(pkgs, lp)
		if p.Source.Registry != "" {
			registries = append(registries, p.Source.Registry)
		}
	}
	extra, err := indexOptions(plan, registries)
	if err != nil {
		return nil, err
	}
	plan.reqs = render("uv.lock", pkgs, plan, extra)
	return plan, nil
}

// uvLocked is one package's pin: a registry's or a URL's, with every hash the lock has for it.
func uvLocked(p *uvPackage) (lockedPackage, error) {
	lp := lockedPackage{name: p.Name, version: p.Version}
	src := p.Source
	switch {
	case src.Registry != "":
	case src.URL != "":
		lp.url = src.URL
	case src.Git != "":
		return lp, lockErr("publish it to your index or wheelhouse and lock that, or export requirements.txt and install it from there",
			"uv.lock: %s comes from git (%s), which pip --require-hashes cannot check against a hash", p.Name, src.Git)
	default:
		where := src.Editable + src.Directory + src.Path + src.Virtual
		return lp, lockErr("build it into a wheel in a wheelhouse of the context and lock that, or export requirements.txt",
			"uv.lock: %s comes from the local path %s, which pip --require-hashes cannot check against a hash", p.Name, where)
	}
	var files []uvFile
	if p.Sdist != nil {
		files = append(files, *p.Sdist)
	}
	for _, f := range append(p.Wheels, files...) {
		if f.Hash == "" {
			return lp, lockErr("lock again with a uv that records hashes for it, or add the hash to the index; pip installs nothing unhashed",
				"uv.lock: %s %s has no hash for %s", p.Name, p.Version, path.Base(f.URL+f.Path))
		}
		lp.hashes = append(lp.hashes, f.Hash)
	}
	if len(lp.hashes) == 0 {
		return lp, lockErr("lock again with uv, or export requirements.txt", "uv.lock: %s %s lists no file to install", p.Name, p.Version)
	}
	return lp, nil
}

// uvRoot is the project's own package: the one at ".", else the one pyproject.toml names, else
// the one member of a workspace that no other member depends on (the app, its libraries beside it).
func uvRoot(pkgs []uvPackage, pyproject []byte) (*uvPackage, error) {
	for i, p := range pkgs {
		if p.Source.Editable == "." || p.Source.Virtual == "." {
			return &pkgs[i], nil
		}
	}
	var pp pyprojectTOML
	_, _ = toml.Decode(string(pyproject), &pp)
	for i, p := range pkgs {
		if pp.Project.Name != "" && normName(p.Name) == normName(pp.Project.Name) {
			return &pkgs[i], nil
		}
	}
	members, used := map[string]int{}, map[string]bool{}
	for i, p := range pkgs {
		if p.Source.Editable != "" || p.Source.Virtual != "" {
			members[normName(p.Name)] = i
		}
		for _, d := range p.Dependencies {
			used[normName(d.Name)] = true
		}
	}
	var apps []string
	for name := range members {
		if !used[name] {
			apps = append(apps, name)
		}
	}
	if len(apps) == 1 {
		return &pkgs[members[apps[0]]], nil
	}
	slices.Sort(apps)
	return nil, lockErr("build from the directory of the workspace member that is the app, or export requirements.txt with `uv export --package NAME`",
		"uv.lock has no package for the project itself (source = { editable = \".\" } or { virtual = \".\" }) and %d workspace members no other depends on (%s)",
		len(apps), strings.Join(apps, ", "))
}

func uvKey(name, version string) string { return fmt.Sprintf("%s==%s", normName(name), version) }

// splitExtra parses a node "name==version[extra]".
func splitExtra(node string) (key, extra string) {
	if n := len(node); n > 0 && node[n-1] == ']' {
		for i := n - 1; i >= 0; i-- {
			if node[i] == '[' {
				return node[:i], node[i+1 : n-1]
			}
		}
	}
	return node, ""
}
