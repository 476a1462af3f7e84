package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/llb"
)

// A monorepo builds from its root, where the one lock file is: the install there installs every
// workspace package's dependencies and links the packages to each other in node_modules, so the
// app (packages/api) and the siblings it depends on (packages/shared) ship at their paths.

// workspaceGlobs are the workspace packages' directories as package.json's workspaces (npm,
// yarn: a list, or {"packages": [...]}) or pnpm-workspace.yaml's packages name them; negations
// and paths leaving the context are left out.
func workspaceGlobs(pm nodeManager, files llb.Files) []string {
	var globs []string
	if pm.name == "pnpm" {
		var ws struct {
			Packages []string `yaml:"packages"`
		}
		if yaml.Unmarshal(files["pnpm-workspace.yaml"], &ws) == nil {
			globs = ws.Packages
		}
	} else {
		globs = packageJSONWorkspaces(files["package.json"])
	}
	var out []string
	for _, g := range globs {
		g = strings.TrimSuffix(path.Clean(strings.TrimPrefix(g, "./")), "/")
		if g == "" || g == "." || strings.HasPrefix(g, "!") || llb.LeavesContext(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// packageJSONWorkspaces is package.json's workspaces, in either of its forms.
func packageJSONWorkspaces(data []byte) []string {
	var pkg struct {
		Workspaces json.RawMessage `json:"workspaces"`
	}
	if json.Unmarshal(data, &pkg) != nil || len(pkg.Workspaces) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(pkg.Workspaces, &list) == nil {
		return list
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	_ = json.Unmarshal(pkg.Workspaces, &obj)
	return obj.Packages
}

// workspaceManifests are the install step's patterns for the workspace packages' package.json:
// npm ci, pnpm and yarn refuse a lock whose workspaces they cannot find.
func workspaceManifests(pm nodeManager, files llb.Files) []string {
	var out []string
	for _, g := range workspaceGlobs(pm, files) {
		out = append(out, g+"/package.json")
	}
	return out
}

// workspacePackage is one package of a monorepo, as init finds it on disk.
type workspacePackage struct {
	dir string // relative to the root, slash-separated
	pkg *packageJSON
}

// findWorkspaces expands the root's workspace globs on disk (one level of * per element, as the
// common packages/* and apps/* are; ** is not followed) to the directories with a package.json.
func findWorkspaces(root string, globs []string) ([]workspacePackage, error) {
	var out []workspacePackage
	for _, g := range globs {
		if strings.Contains(g, "**") {
			continue
		}
		dirs, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(g)))
		if err != nil {
			continue
		}
		for _, d := range dirs {
			pkg, _, err := readPackageJSON(d)
			if err != nil {
				return nil, err
			}
			if pkg == nil {
				continue
			}
			rel, _ := filepath.Rel(root, d)
			out = append(out, workspacePackage{dir: filepath.ToSlash(rel), pkg: pkg})
		}
	}
	return out, nil
}

// detectWorkspace is the spec of a monorepo root: the build context is the root, where the lock
// file is, and the app is the one workspace package with an entry point; its artifacts are its
// entry, its directory and the sibling packages it depends on, at their paths.
func detectWorkspace(root string, rootPkg *packageJSON, data []byte) (*lang.Detection, error) {
	globs := packageJSONWorkspaces(data)
	if ws, err := os.ReadFile(filepath.Join(root, "pnpm-workspace.yaml")); err == nil {
		globs = workspaceGlobs(nodeManager{name: "pnpm"}, llb.Files{"pnpm-workspace.yaml": ws})
	}
	pkgs, err := findWorkspaces(root, globs)
	if err != nil {
		return nil, err
	}
	type app struct {
		wp          workspacePackage
		entry, from string
	}
	var apps []app
	var names []string
	for _, wp := range pkgs {
		if entry, from := findEntry(filepath.Join(root, filepath.FromSlash(wp.dir)), wp.pkg); entry != "" && wp.pkg.Scripts["start"] != "" {
			apps = append(apps, app{wp, entry, from})
			names = append(names, wp.dir)
		}
	}
	switch {
	case len(apps) == 0:
		return nil, fmt.Errorf(`a workspace root (%s), but no workspace package has a "start" script that runs "node FILE"; `+
			`write the spec by hand with artifacts: [packages/NAME/server.js, packages/NAME] and the sibling packages it uses`, strings.Join(globs, ", "))
	case len(apps) > 1:
		return nil, fmt.Errorf("a workspace root with several apps (%s); write the spec by hand with the one to build first: "+
			"artifacts: [%s/%s, %s] and the sibling packages it uses", strings.Join(names, ", "), apps[0].wp.dir, apps[0].entry, apps[0].wp.dir)
	}
	a := apps[0]
	det := &lang.Detection{Marker: "package.json", Comments: map[string]string{},
		Artifacts: append([]string{path.Join(a.wp.dir, a.entry), a.wp.dir}, siblingDeps(a.wp, pkgs)...)}
	det.Comments["artifacts"] = "A workspace: the build context is this root, where the lock file is, and the install links\n" +
		"the packages. The first artifact is what node runs (found by " + a.from + " of " + a.wp.dir + "),\n" +
		"then its package and the workspace packages it depends on, each at its path."
	if rootPkg.Scripts["build"] != "" {
		det.Script = "build"
		det.Comments["build"] = "The root's build script runs in the builder, with devDependencies, before the app is laid out."
	} else if a.wp.pkg.Scripts["build"] != "" {
		det.Warnings = append(det.Warnings, fmt.Sprintf(`%s has a build script, which the build runs only from the root: add "build": "npm run build --workspace %s" (or your manager's) to the root's package.json and build.script: build to the spec`, a.wp.dir, a.wp.dir))
	}
	return det, nil
}

// siblingDeps are the directories of the workspace packages app depends on, at any depth, sorted.
func siblingDeps(app workspacePackage, pkgs []workspacePackage) []string {
	byName := map[string]workspacePackage{}
	for _, wp := range pkgs {
		if wp.pkg.Name != "" {
			byName[wp.pkg.Name] = wp
		}
	}
	seen := map[string]bool{app.dir: true}
	var out []string
	queue := []workspacePackage{app}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for name := range cur.pkg.Dependencies {
			if dep, ok := byName[name]; ok && !seen[dep.dir] {
				seen[dep.dir] = true
				out = append(out, dep.dir)
				queue = append(queue, dep)
			}
		}
	}
	slices.Sort(out)
	return out
}
