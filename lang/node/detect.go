package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hardenedbuild/hardened/lang"
)

// defaultNodeMajor is written when package.json does not say which Node.js runs the app.
const defaultNodeMajor = "24"

// packageJSON is what init reads of package.json.
type packageJSON struct {
	Name         string            `json:"name"`
	Main         string            `json:"main"`
	Scripts      map[string]string `json:"scripts"`
	Dependencies map[string]string `json:"dependencies"`
	Bin          json.RawMessage   `json:"bin"`
	Engines      struct {
		Node string `json:"node"`
	} `json:"engines"`
}

// readPackageJSON reads dir's package.json; nil without one.
func readPackageJSON(dir string) (*packageJSON, []byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, nil, fmt.Errorf("%s is not valid JSON: %v", filepath.Join(dir, "package.json"), err)
	}
	return &pkg, data, nil
}

// Detect takes the entry point from the start script ("node server.js"), else main, else
// index.js; a Next.js app ships its standalone server, a workspace root its one app package.
func (Language) Detect(dir string) (*lang.Detection, error) {
	pkg, data, err := readPackageJSON(dir)
	if pkg == nil || err != nil {
		return nil, err
	}
	if !hasLock(dir) {
		if det, err := detectMember(dir); det != nil || err != nil {
			return det, err
		}
	}
	if det, err := detectNext(dir, pkg); det != nil || err != nil {
		return withVersion(det, pkg), err
	}
	entry, entryFrom := findEntry(dir, pkg)
	if entry == "" && len(packageJSONWorkspaces(data)) > 0 || entry == "" && lang.IsFile(filepath.Join(dir, "pnpm-workspace.yaml")) {
		det, err := detectWorkspace(dir, pkg, data)
		return withVersion(det, pkg), err
	}
	if entry == "" {
		return nil, fmt.Errorf(`package.json found, but no entry point: no "start" script that runs "node FILE" (directly or through ` +
			`"npm run NAME"), no "main" and no index.js; write the spec by hand with artifacts: [path/to/server.js]`)
	}
	det := &lang.Detection{Marker: "package.json", Comments: map[string]string{}}
	var built bool
	if det.Artifacts, built, err = appArtifacts(dir, entry, pkg.Scripts["build"] != "", pkg.bins()); err != nil {
		return nil, err
	}
	det.Comments["artifacts"] = "The first artifact is what node runs (" + entryFrom + "); add every other file and directory it needs at run time."
	if len(det.Artifacts) > 1 {
		det.Comments["artifacts"] = "The first artifact is what node runs (" + entryFrom + ").\nThe others are " +
			besides(built, pkg.Scripts["build"] != "") + ".\nAdd every other file it needs at run time."
	}
	if pkg.Scripts["build"] != "" {
		det.Script = "build"
		det.Comments["build"] = "package.json has a build script: it runs in the builder, with devDependencies, before the app is laid out."
		if built {
			det.Comments["build"] = "package.json's build script makes " + entry + " (not in the directory yet): it runs in the builder,\nwith devDependencies, and the build checks it made every artifact."
		}
	}
	return withVersion(det, pkg), nil
}

// hasLock says whether dir has a lock file of its own, which makes it the root of its install.
func hasLock(dir string) bool {
	for _, l := range nodeLocks {
		if lang.IsFile(filepath.Join(dir, l)) {
			return true
		}
	}
	return false
}

// withVersion writes the default Node.js major when package.json's engines does not choose one.
func withVersion(det *lang.Detection, pkg *packageJSON) *lang.Detection {
	if det != nil && pkg.Engines.Node == "" {
		det.Version = defaultNodeMajor
		det.Comments["version"] = `package.json has no engines.node: the Node.js major the app builds and runs with.`
	}
	return det
}

// findEntry is the file node runs and how it was found: the start script, a Procfile's web process
// (the production start of a project whose start script runs a watcher), main or index.js, a file
// there or one a build script may make; "" when none.
func findEntry(dir string, pkg *packageJSON) (entry, from string) {
	start, via := startEntry(pkg.Scripts)
	for i, candidate := range []string{start, startFile(lang.ProcfileWeb(dir)), pkg.Main, "index.js"} {
		if candidate == "" {
			continue
		}
		from = [...]string{"the start script", "the Procfile's web process", "package.json's main", "index.js"}[i]
		if i == 0 {
			from = "the " + via[0] + " script"
		}
		if i == 0 && len(via) > 1 {
			from += ", through " + strings.Join(via, " -> ")
		}
		c := path.Clean(strings.ReplaceAll(candidate, `\`, "/"))
		if strings.HasPrefix(c, "../") || path.IsAbs(c) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(c))); err == nil || (pkg.Scripts["build"] != "" && c != "index.js") {
			return c, from // a build script may make it
		}
	}
	return "", ""
}

// nodeNotApp are top-level names that hold no code the app runs: tests, tooling, output.
var nodeNotApp = []string{"node_modules", "test", "tests", "__tests__", "spec", "coverage", "docs", "doc", "examples", "scripts", "bench", "benchmarks", "tmp"}

// nodeScript is a file node loads; config files of tools beside it are not.
func nodeScript(name string) bool {
	ext := path.Ext(name)
	if ext != ".js" && ext != ".mjs" && ext != ".cjs" {
		return false
	}
	base := strings.TrimSuffix(name, ext)
	return !strings.HasSuffix(base, ".config") && !strings.HasSuffix(base, ".test") && !strings.HasSuffix(base, ".spec") &&
		!slices.Contains([]string{"gulpfile", "Gruntfile", "Jakefile"}, base)
}

// bins are the scripts package.json's bin names (a string or a map), cleaned: command-line tools
// npx runs, not the server (a project generator's bin/create-app.js).
func (p *packageJSON) bins() map[string]bool {
	var one string
	var many map[string]string
	out := map[string]bool{}
	if json.Unmarshal(p.Bin, &one) == nil && one != "" {
		out[path.Clean(one)] = true
	} else if json.Unmarshal(p.Bin, &many) == nil {
		for _, b := range many {
			out[path.Clean(b)] = true
		}
	}
	return out
}

// nodeAppFiles are, sorted, the app's other top-level directories holding scripts, then its
// other top-level scripts, leaving out tests, tooling, bin's tools and what npm ci makes.
func nodeAppFiles(dir, entry string, bins map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if entry == "." {
		return nil, nil // the whole directory is the app
	}
	top, _, _ := strings.Cut(entry, "/")
	var dirs, files []string
	for _, e := range entries {
		n := e.Name()
		if n == top || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || slices.Contains(nodeNotApp, n) {
			continue
		}
		switch {
		case e.Type().IsRegular() && nodeScript(n) && !bins[n]:
			files = append(files, n)
		case e.IsDir() && hasNodeScript(dir, n, bins):
			dirs = append(dirs, n)
		}
	}
	return append(dirs, files...), nil
}

// hasNodeScript says whether the directory name under root holds a script that is not one of
// bins, at any depth outside node_modules.
func hasNodeScript(root, name string, bins map[string]bool) bool {
	found := false
	_ = filepath.WalkDir(filepath.Join(root, name), func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil || found:
			return filepath.SkipAll
		case e.IsDir() && e.Name() == "node_modules":
			return filepath.SkipDir
		case !e.IsDir() && nodeScript(e.Name()):
			rel, _ := filepath.Rel(root, p)
			found = !bins[filepath.ToSlash(rel)]
		}
		return nil
	})
	return found
}

// besides says what the artifacts after the entry are.
func besides(built, script bool) string {
	switch {
	case built:
		return "its build output directory, and the directories it reads\nat run time (views, public, static) found here"
	case script:
		return "the directories it reads at run time (views, public,\nstatic) found here"
	}
	return "the top-level scripts and directories of scripts beside it, and the\ndirectories it reads at run time (views, public, static) found here"
}

// startFile is the script node runs in a start script of the form "node [FLAGS] FILE ...".
func startFile(script string) string {
	f := strings.Fields(script)
	if len(f) < 2 || (f[0] != "node" && f[0] != "nodejs") {
		return ""
	}
	for _, a := range f[1:] {
		if strings.ContainsAny(a, "&|;<>$`") {
			return ""
		}
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}
