package node_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hardenedbuild/hardened/lang/node"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// A workspace root's install sees each workspace package's package.json, which npm ci needs to
// match the lock, and nothing else of the source; the app ships at its path.
func TestWorkspaceInstallLLB(t *testing.T) {
	files := hllb.Files{"package.json": []byte(`{"workspaces": ["packages/*"], "engines": {"node": ">=22"}}`), "package-lock.json": []byte(`{}`)}
	s := load(t, "language: node\nartifacts: [packages/api/src/server.js, packages/api, packages/shared]\n")
	res, g := convert(t, s, resolved(t, s, files, amd64))
	manifest := g.Named(t, "copy package.json and package-lock.json")
	if cp := findCopy(t, manifest, "/"); !slices.Equal(cp.IncludePatterns, []string{"package.json", "package-lock.json", "packages/*/package.json"}) ||
		!slices.Equal(cp.ExcludePatterns, []string{"node_modules", "**/node_modules"}) {
		t.Errorf("manifest copy includes %q, excludes %q", cp.IncludePatterns, cp.ExcludePatterns)
	}
	if ep := res.Image.Config.Entrypoint; !slices.Equal(ep, []string{"/nodejs/bin/node", "/app/packages/api/src/server.js"}) {
		t.Errorf("entrypoint %q", ep)
	}
	layout := g.Named(t, "lay out the app in /hardened/out: package.json and the artifacts")
	if cp := findCopy(t, layout, "/src/packages/shared"); cp.Dest != "/hardened/out/packages/shared" {
		t.Errorf("the sibling package lands at %s", cp.Dest)
	}
	// The entry comes with its package's directory: copied alone first, it would make that directory,
	// and BuildKit would copy the package into it as packages/api/api.
	assertNoCopy(t, layout, "/src/packages/api/src/server.js")
	if cp := findCopy(t, layout, "/src/packages/api"); cp.Dest != "/hardened/out/packages/api" {
		t.Errorf("the app's package lands at %s", cp.Dest)
	}
	g.Named(t, "copy the dependency tree to /app/node_modules (root-owned, modes 0644/0755)")
}

// pnpm names its workspace in pnpm-workspace.yaml, which the install step copies already.
func TestPnpmWorkspaceInstallLLB(t *testing.T) {
	files := hllb.Files{"package.json": []byte(`{"packageManager": "pnpm@9.15.9"}`), "pnpm-lock.yaml": []byte("lockfileVersion: '9.0'\n"),
		"pnpm-workspace.yaml": []byte("packages:\n  - apps/*\n  - libs/*\n")}
	s := load(t, "language: node\nversion: \"24\"\nartifacts: [apps/api/main.js, apps/api, libs/a]\n")
	_, g := convert(t, s, resolved(t, s, files, amd64))
	inc := findCopy(t, g.Named(t, "copy package.json and pnpm-lock.yaml"), "/").IncludePatterns
	for _, want := range []string{"pnpm-workspace.yaml", "apps/*/package.json", "libs/*/package.json"} {
		if !slices.Contains(inc, want) {
			t.Errorf("manifest copy includes %q, not %s", inc, want)
		}
	}
}

// A workspace pattern leaving the build context is refused with the file and line that names it:
// the install step could not see those packages.
func TestWorkspaceOutsideContextRefused(t *testing.T) {
	files := hllb.Files{
		"package.json":        []byte("{\n  \"workspaces\": [\n    \"packages/*\",\n    \"../libs/*\",\n    \"!../old\"\n  ]\n}\n"),
		"pnpm-workspace.yaml": []byte("packages:\n  - apps/*\n  - /srv/shared\n"),
	}
	var got []string
	for _, in := range (node.Language{}).Includes(files) {
		got = append(got, fmt.Sprintf("%s:%d: %s", in.File, in.Line, in.What))
	}
	if want := []string{"package.json:4: workspaces: ../libs/*", "pnpm-workspace.yaml:3: packages: /srv/shared"}; !slices.Equal(got, want) {
		t.Errorf("includes %q, want %q", got, want)
	}
}

// The install of a workspace app is focused on its package and the siblings it depends on, by
// each manager's own means; an app at the root, a build script (which may build any package) and
// yarn v1 (which cannot focus) install the whole workspace as before.
func TestWorkspaceFocusedInstall(t *testing.T) {
	npm := hllb.Files{"package.json": []byte(`{"workspaces": ["packages/*"], "engines": {"node": ">=22"}}`), "package-lock.json": []byte(`{}`)}
	pnpm := hllb.Files{"package.json": []byte(`{"packageManager": "pnpm@9.15.9", "engines": {"node": ">=22"}}`), "pnpm-lock.yaml": []byte("lockfileVersion: '9.0'\n"),
		"pnpm-workspace.yaml": []byte("packages:\n  - apps/*\n  - libs/*\n")}
	yarn4 := hllb.Files{"package.json": []byte(`{"packageManager": "yarn@4.5.3", "workspaces": ["apps/*"], "engines": {"node": ">=22"}}`),
		"yarn.lock": []byte("__metadata:\n  version: 8\n")}
	yarn1 := hllb.Files{"package.json": []byte(`{"workspaces": {"packages": ["apps/*"]}, "engines": {"node": ">=22"}}`), "yarn.lock": []byte("# yarn lockfile v1\n")}
	for _, c := range []struct {
		name, spec string
		files      hllb.Files
		step       string // the install step's name
		cwd        string // the focus step's directory, for yarn
	}{
		{"npm", "artifacts: [packages/api/src/server.js, packages/api]\n", npm, "npm ci --omit=dev --workspace packages/api", ""},
		{"pnpm", "artifacts: [apps/api/main.js, apps/api, libs/a]\n", pnpm, "pnpm install --frozen-lockfile --prod --filter {./apps/api}...", ""},
		{"yarn 4", "artifacts: [apps/api/main.js, apps/api]\n", yarn4, "yarn install --immutable", "/src/apps/api"},
		{"yarn v1", "artifacts: [apps/api/main.js, apps/api]\n", yarn1, "yarn install --frozen-lockfile --production", ""},
		{"an app at the root", "artifacts: [server.js, packages/shared]\n", npm, "npm ci --omit=dev", ""},
		{"a build script", "artifacts: [packages/api/dist/server.js, packages/api]\nbuild:\n  script: build\n", npm, "npm ci", ""},
	} {
		s := load(t, "language: node\n"+c.spec)
		_, g := convert(t, s, resolved(t, s, c.files, amd64))
		g.Named(t, c.step)
		var focus []string
		for _, e := range g.Execs() {
			if args := e.Op.GetExec().GetMeta().GetArgs(); slices.Contains(args, "focus") {
				focus = append(focus, e.Op.GetExec().GetMeta().GetCwd()+" "+fmt.Sprint(args[len(args)-3:]))
			}
		}
		switch want := c.cwd + " [workspaces focus --production]"; {
		case c.cwd != "" && !slices.Equal(focus, []string{want}):
			t.Errorf("%s: focus steps %q, want %q", c.name, focus, want)
		case c.cwd == "" && len(focus) > 0:
			t.Errorf("%s: focus steps %q, want none", c.name, focus)
		}
	}
}
