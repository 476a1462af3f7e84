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
	globs := packageJSONWorkspaces(files["package.json"])
	if pm.name == "pnpm" {
		globs = pnpmWorkspaces(files["pnpm-workspace.yaml"])
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

// pnpmWorkspaces is pnpm-workspace.yaml's packages.
func pnpmWorkspaces(data []byte) []string {
	var ws struct {
		Packages []string `yaml:"packages"`
	}
	_ = yaml.Unmarshal(data, &ws) // pnpm itself says what is wrong with the file
	return ws.Packages
}

// workspaceIncludes are the workspace patterns that leave the build context (../libs/*): the
// install step could not see those packages, and npm ci would fail without saying why.
func workspaceIncludes(files llb.Files) []llb.Include {
	var out []llb.Include
	for _, f := range []struct {
		file, field string
		globs       []string
	}{{"package.json", "workspaces", packageJSONWorkspaces(files["package.json"])}, {"pnpm-workspace.yaml", "packages", pnpmWorkspaces(files["pnpm-workspace.yaml"])}} {
		for _, g := range f.globs {
			if llb.LeavesContext(strings.TrimPrefix(g, "!")) && !strings.HasPrefix(g, "!") {
				out = append(out, llb.Include{File: f.file, Line: llb.LineOf(files[f.file], g), What: f.field + ": " + g})
			}
		}
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

// rootWorkspaces are the workspace packages a root names, from pnpm-workspace.yaml or package.json.
func rootWorkspaces(root string, data []byte) (globs []string, pkgs []workspacePackage, err error) {
	globs = packageJSONWorkspaces(data)
	if ws, err := os.ReadFile(filepath.Join(root, "pnpm-workspace.yaml")); err == nil {
		globs = workspaceGlobs(nodeManager{name: "pnpm"}, llb.Files{"pnpm-workspace.yaml": ws})
	}
	pkgs, err = findWorkspaces(root, globs)
	return globs, pkgs, err
}

// detectWorkspace is the spec of a monorepo root: the build context is the root, where the lock
// file is, and the app is the one workspace package with an entry point.
func detectWorkspace(root string, rootPkg *packageJSON, data []byte) (*lang.Detection, error) {
	globs, pkgs, err := rootWorkspaces(root, data)
	if err != nil {
		return nil, err
	}
	var apps []workspacePackage
	var names []string
	for _, wp := range pkgs {
		wpDir := filepath.Join(root, filepath.FromSlash(wp.dir))
		entry, _ := findEntry(wpDir, wp.pkg)
		if next, _ := detectNext(wpDir, wp.pkg); next != nil || entry != "" && wp.pkg.Scripts["start"] != "" {
			apps = append(apps, wp)
			names = append(names, wp.dir)
		}
	}
	switch {
	case len(apps) == 0:
		return nil, fmt.Errorf(`a workspace root (%s), but no workspace package has a "start" script that runs "node FILE"; `+
			`write the spec by hand with artifacts: [packages/NAME/server.js, packages/NAME] and the sibling packages it uses`, strings.Join(globs, ", "))
	case len(apps) > 1 && slices.ContainsFunc(apps, func(wp workspacePackage) bool { return wp.pkg.Dependencies["next"] != "" }):
		return nil, fmt.Errorf("a workspace root with several apps (%s); run hardened init in the directory of the one to build", strings.Join(names, ", "))
	case len(apps) > 1:
		entry, _ := findEntry(filepath.Join(root, filepath.FromSlash(apps[0].dir)), apps[0].pkg)
		return nil, fmt.Errorf("a workspace root with several apps (%s); run hardened init in the directory of the one to build, "+
			"or write the spec by hand with it first: artifacts: [%s/%s, %s] and the sibling packages it uses",
			strings.Join(names, ", "), apps[0].dir, entry, apps[0].dir)
	}
	return workspaceApp(root, rootPkg, pkgs, apps[0]), nil
}

// workspaceApp is the spec of app, a package of the workspace at root: its artifacts are its entry,
// its directory and the sibling packages it depends on, at their paths from the root.
func workspaceApp(root string, rootPkg *packageJSON, pkgs []workspacePackage, app workspacePackage) *lang.Detection {
	appDir := filepath.Join(root, filepath.FromSlash(app.dir))
	entry, from := findEntry(appDir, app.pkg)
	det := &lang.Detection{Marker: "package.json", Comments: map[string]string{},
		Artifacts: append([]string{path.Join(app.dir, entry), app.dir}, siblingDeps(app, pkgs)...)}
	det.Comments["artifacts"] = "A workspace: the build context is the root, where the lock file is, and the install links\n" +
		"the packages. The first artifact is what node runs (found by " + from + " of " + app.dir + "),\n" +
		"then its package and the workspace packages it depends on, each at its path from the root."
	if next, err := detectNext(appDir, app.pkg); next != nil && err == nil {
		// next build traces from the root, where the lock file is: server.js is at app.dir in the output.
		det.Artifacts = nil
		for _, a := range next.Artifacts {
			det.Artifacts = append(det.Artifacts, path.Join(app.dir, a))
		}
		det.Comments["artifacts"], det.Warnings = "A Next.js app in a workspace, built from the root, where the lock file is.\n"+next.Comments["artifacts"], next.Warnings
	}
	if rootPkg.Scripts["build"] != "" {
		det.Script = "build"
		det.Comments["build"] = "The root's build script runs in the builder, with devDependencies, before the app is laid out."
	} else if app.pkg.Scripts["build"] != "" {
		det.Warnings = append(det.Warnings, fmt.Sprintf(`%s has a build script, which the build runs only from the root: add "build": "npm run build --workspace %s" (or your manager's) to the root's package.json and build.script: build to the spec`, app.dir, app.dir))
	}
	return det
}

// maxWorkspaceDepth bounds how far up init looks for the root of the workspace a directory is in.
const maxWorkspaceDepth = 4

// detectMember is the spec of a package run in its own directory inside a workspace: the build
// context is the workspace's root (det.Context), with the lock file; nil when dir is in none.
func detectMember(dir string) (*lang.Detection, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for root, i := filepath.Dir(abs), 0; i < maxWorkspaceDepth && root != filepath.Dir(root); root, i = filepath.Dir(root), i+1 {
		rootPkg, data, err := readPackageJSON(root)
		if err != nil || rootPkg == nil {
			continue
		}
		_, pkgs, err := rootWorkspaces(root, data)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, abs)
		for _, wp := range pkgs {
			if wp.dir != filepath.ToSlash(rel) {
				continue
			}
			if err := memberRuns(abs, root, wp); err != nil {
				return nil, err
			}
			det := workspaceApp(root, rootPkg, pkgs, wp)
			det.Context, _ = filepath.Rel(abs, root)
			return withVersion(det, rootPkg), nil
		}
	}
	return nil, nil
}

// memberRuns says what init looked for when the workspace package in dir has nothing to run.
func memberRuns(dir, root string, wp workspacePackage) error {
	if entry, _ := findEntry(dir, wp.pkg); entry != "" {
		return nil
	}
	if next, _ := detectNext(dir, wp.pkg); next != nil {
		return nil
	}
	return fmt.Errorf(`%s is a package of the workspace at %s, but no %s script runs "node FILE" and it has no main or index.js; `+
		`write the spec by hand with artifacts: [%s/server.js, %s] and the sibling packages it uses, and run the build from the root`,
		wp.dir, root, strings.Join(startScripts, ", "), wp.dir, wp.dir)
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
