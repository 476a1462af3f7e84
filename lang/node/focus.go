package node

import (
	"path"
	"strconv"
	"strings"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// A workspace's install at the root installs every package's dependencies. When the app is one
// package of it, the install is focused on that package and the siblings it depends on, so the
// image ships only their production dependencies.

// focusedApp is the workspace package directory that holds the first artifact, when the install
// can be focused on it; "" for an app at the root, with a build script (which may build any package
// of the workspace, with their devDependencies), or with a yarn that cannot focus (v1, and 2 and 3
// without the workspace-tools plugin that yarn 4 bundles).
func focusedApp(s *spec.Spec, pm nodeManager, files llb.Files) string {
	if len(s.Artifacts) == 0 || s.Build.Script != "" || pm.name == "yarn" && yarnMajor(pm.version) < 4 {
		return ""
	}
	parts := strings.Split(path.Clean(s.Artifacts[0]), "/")
	for _, g := range workspaceGlobs(pm, files) {
		d := strings.Count(g, "/") + 1
		if len(parts) < d {
			continue
		}
		// A directory pnpm's selector or npm's flag parsing would read otherwise is not focused on.
		dir := strings.Join(parts[:d], "/")
		if ok, _ := path.Match(g, dir); ok && !strings.ContainsAny(dir, "{}") && !strings.HasPrefix(dir, "-") {
			return dir
		}
	}
	return ""
}

// yarnMajor is the major of a yarn version ("4.5.3" or "4"), 0 when unknown.
func yarnMajor(v string) int {
	major, _, _ := strings.Cut(v, ".")
	n, _ := strconv.Atoi(major)
	return n
}

// focusArgs are the install's arguments that focus it on the app's package and the workspace
// packages it depends on: npm's --workspace, pnpm's directory filter with its dependencies.
// yarn focuses in a step of its own (focusYarn).
func focusArgs(pm nodeManager, dir string) []string {
	switch {
	case dir == "":
		return nil
	case pm.name == "npm":
		return []string{"--workspace", dir}
	case pm.name == "pnpm":
		return []string{"--filter", "{./" + dir + "}..."}
	}
	return nil
}
