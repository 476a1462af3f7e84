package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/llb"
)

// writeTree writes files (slash paths) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The Next.js project under testdata: its standalone output, .next/static and public, built by next build.
func TestDetectNextStandalone(t *testing.T) {
	det, err := Language{}.Detect("testdata/nextapp")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".next/standalone", ".next/static", "public"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
	if det.Script != "build" || len(det.Warnings) > 0 || det.Version != "" {
		t.Errorf("script %q, warnings %q, version %q", det.Script, det.Warnings, det.Version)
	}
}

// Without output: "standalone", init writes the standalone spec with a comment and a warning that
// say what to add, rather than a spec that ships every dependency to run next start.
func TestDetectNextWithoutStandalone(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"config without output": {"package.json": `{"scripts": {"build": "next build"}, "dependencies": {"next": "16.5.0"}}`,
			"next.config.ts": "export default { reactStrictMode: true };\n"},
		"no config": {"package.json": `{"scripts": {"build": "next build", "start": "next start"}, "dependencies": {"next": "16.5.0"}}`},
		"no build script": {"package.json": `{"dependencies": {"next": "16.5.0"}}`,
			"next.config.js": "module.exports = { output: 'standalone' };\n"},
	} {
		det, err := Language{}.Detect(writeTree(t, files))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if det.Artifacts[0] != ".next/standalone" || slices.Contains(det.Artifacts, "node_modules") {
			t.Errorf("%s: artifacts %q", name, det.Artifacts)
		}
		w := strings.Join(det.Warnings, "\n")
		switch name {
		case "config without output":
			if !strings.Contains(w, `next.config.ts has output: "standalone"`) || !strings.Contains(det.Comments["artifacts"], `add output: "standalone" to next.config.ts`) {
				t.Errorf("%s: warnings %q, comment %q", name, w, det.Comments["artifacts"])
			}
		case "no config":
			if !strings.Contains(det.Comments["artifacts"], `add output: "standalone" to a next.config.js`) {
				t.Errorf("%s: comment %q", name, det.Comments["artifacts"])
			}
		case "no build script":
			if !strings.Contains(w, `add "build": "next build"`) || strings.Contains(w, "will fail until") {
				t.Errorf("%s: warnings %q", name, w)
			}
		}
	}
}

// The npm workspace under testdata: the root's one app package, its directory and the sibling
// package it depends on; not the package nothing depends on.
func TestDetectWorkspaceRoot(t *testing.T) {
	det, err := Language{}.Detect("testdata/workspace")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"packages/api/src/server.js", "packages/api", "packages/shared"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
	if !strings.Contains(det.Comments["artifacts"], "start script of packages/api") {
		t.Errorf("comment %q", det.Comments["artifacts"])
	}
}

// pnpm's workspace file names the packages; a dependency of a dependency ships too.
func TestDetectPnpmWorkspace(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"package.json":              `{"name": "root", "scripts": {"build": "pnpm -r build"}}`,
		"pnpm-workspace.yaml":       "packages:\n  - 'apps/*'\n  - 'libs/*'\n  - '!libs/old'\n",
		"apps/api/package.json":     `{"name": "api", "scripts": {"start": "node dist/main.js", "build": "tsc"}, "dependencies": {"a": "workspace:*"}}`,
		"libs/a/package.json":       `{"name": "a", "dependencies": {"b": "workspace:^"}}`,
		"libs/b/package.json":       `{"name": "b"}`,
		"libs/unused/package.json":  `{"name": "unused"}`,
		"apps/api/dist/.gitkeep":    "",
		"apps/admin/README.md":      "no package.json: not a workspace package",
		"libs/b/node_modules/x.txt": "",
	})
	det, err := Language{}.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"apps/api/dist/main.js", "apps/api", "libs/a", "libs/b"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
	if det.Script != "build" {
		t.Errorf("script %q, want the root's build", det.Script)
	}
}

// A workspace root init cannot choose an app of says why and what to write.
func TestDetectWorkspaceErrors(t *testing.T) {
	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"no app": {map[string]string{"package.json": `{"workspaces": ["packages/*"]}`, "packages/lib/package.json": `{"name": "lib", "main": "index.js"}`},
			`no workspace package has a "start" script`},
		"two apps": {map[string]string{"package.json": `{"workspaces": {"packages": ["apps/*"]}}`,
			"apps/a/package.json": `{"scripts": {"start": "node a.js"}}`, "apps/a/a.js": "",
			"apps/b/package.json": `{"scripts": {"start": "node b.js"}}`, "apps/b/b.js": ""},
			"several apps (apps/a, apps/b); run hardened init in the directory of the one to build, or write the spec by hand with it first: artifacts: [apps/a/a.js, apps/a]"},
		"bad member": {map[string]string{"package.json": `{"workspaces": ["packages/*"]}`, "packages/x/package.json": `{`},
			"package.json is not valid JSON"},
	} {
		_, err := Language{}.Detect(writeTree(t, c.files))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// The install step's patterns for the workspace packages' manifests, from either file that names them.
func TestWorkspaceManifests(t *testing.T) {
	npm := nodeManager{name: "npm"}
	for _, c := range []struct {
		pm    nodeManager
		files llb.Files
		want  []string
	}{
		{npm, llb.Files{"package.json": []byte(`{"workspaces": ["packages/*", "./apps/web/", "!packages/x", "../outside"]}`)}, []string{"packages/*/package.json", "apps/web/package.json"}},
		{npm, llb.Files{"package.json": []byte(`{"workspaces": {"packages": ["libs/*"]}}`)}, []string{"libs/*/package.json"}},
		{npm, llb.Files{"package.json": []byte(`{}`), "pnpm-workspace.yaml": []byte("packages: [a/*]\n")}, nil},
		{nodeManager{name: "pnpm"}, llb.Files{"pnpm-workspace.yaml": []byte("packages:\n  - apps/*\n")}, []string{"apps/*/package.json"}},
	} {
		if got := workspaceManifests(c.pm, c.files); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %q, want %q", c.pm.name, c.files, got, c.want)
		}
	}
}

// The check's Next.js messages, run by the node the unit tests have here: no standalone output at
// all says what next.config needs; one without server.js where the spec expects it says so.
func TestBuiltCheckNext(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		// As TestBuiltCheckNamesMissing: a fresh machine may have Go alone; the e2e tests run the check in the builder.
		t.Skip("no node on PATH: the check's program is JavaScript and needs one to be tested")
	}
	dir := writeTree(t, map[string]string{".next/static/a.js": "", "apps/web/.next/standalone/server.js": ""})
	run := func(args ...string) string {
		cmd := exec.Command(node, append([]string{"-e", builtCheck, "--", "build"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err == nil {
			return ""
		}
		return string(out)
	}
	if out := run(".next/standalone/server.js", ".next/standalone", ".next/static"); !strings.Contains(out, `artifacts[0]: ".next/standalone" is neither`) ||
		!strings.Contains(out, `output: "standalone" in next.config.js`) {
		t.Errorf("no standalone output: %q", out)
	}
	if out := run("apps/web/.next/standalone/web/server.js", "apps/web/.next/standalone"); !strings.Contains(out, `has no server.js at "apps/web/.next/standalone/web/server.js"`) {
		t.Errorf("server.js elsewhere: %q", out)
	}
	if out := run("apps/web/.next/standalone/server.js", "apps/web/.next/standalone"); out != "" {
		t.Errorf("all there, check failed: %q", out)
	}
}

// Run in the app's own directory, init finds the workspace's root above it: the build context is
// that root, the artifacts are relative to it, and the version comes from its package.json.
func TestDetectWorkspaceMember(t *testing.T) {
	det, err := Language{}.Detect("testdata/workspace/packages/api")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"packages/api/src/server.js", "packages/api", "packages/shared"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
	if det.Context != filepath.Join("..", "..") || det.Version != "" {
		t.Errorf("context %q version %q, want ../.. and the root's engines", det.Context, det.Version)
	}
	// A Next.js app in a workspace ships its standalone output at its path from the root.
	dir := writeTree(t, map[string]string{
		"package.json":             `{"workspaces": ["apps/*"], "scripts": {"build": "npm run build -w apps/web"}}`,
		"package-lock.json":        "{}",
		"apps/web/package.json":    `{"name": "web", "scripts": {"build": "next build", "start": "next start"}, "dependencies": {"next": "16.5.0"}}`,
		"apps/web/next.config.mjs": "export default { output: 'standalone' };\n",
		"apps/web/public/a.txt":    "",
	})
	det, err = Language{}.Detect(filepath.Join(dir, "apps", "web"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"apps/web/.next/standalone", "apps/web/.next/static", "apps/web/public"}; !slices.Equal(det.Artifacts, want) || det.Script != "build" {
		t.Errorf("artifacts %q script %q, want %q and the root's build", det.Artifacts, det.Script, want)
	}
	// A package with nothing to run says what init looked for, not a spec with its directory twice.
	none := writeTree(t, map[string]string{"package.json": `{"workspaces": ["packages/*"]}`, "package-lock.json": "{}",
		"packages/server/package.json": `{"scripts": {"start": "ts-node src/server.ts | pino-pretty"}}`})
	if det, err := (Language{}).Detect(filepath.Join(none, "packages", "server")); det != nil || err == nil ||
		!strings.Contains(err.Error(), `packages/server is a package of the workspace at `+none+`, but no start, start:prod, start:production, prod, serve script runs "node FILE"`) {
		t.Errorf("a package with nothing to run: %+v %v", det, err)
	}
	// A package with a lock file of its own is its own root, workspace or not.
	own := writeTree(t, map[string]string{"package.json": `{"workspaces": ["a"]}`, "a/package.json": `{"scripts": {"start": "node s.js"}}`,
		"a/s.js": "", "a/package-lock.json": "{}"})
	if det, err := (Language{}).Detect(filepath.Join(own, "a")); err != nil || det.Context != "" || det.Artifacts[0] != "s.js" {
		t.Errorf("a package with its own lock: %+v %v", det, err)
	}
}

// An entry in a directory requires its neighbours there (src/index.js requires ./app): the
// directory ships, as found on a public Express service whose image lacked src/app.js; the
// project generator its package.json's bin names does not.
func TestDetectNestedEntryShipsItsDirectory(t *testing.T) {
	dir := writeTree(t, map[string]string{"package.json": `{"main": "src/index.js", "bin": "bin/create-app.js", "scripts": {"start": "pm2 start ecosystem.config.json"}}`,
		"src/index.js": "require('./app');\n", "src/app.js": "", "src/config/config.js": "", "tests/a.test.js": "", "bin/create-app.js": ""})
	det, err := Language{}.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"src/index.js", "src"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
}

// A Next.js app is an app of its workspace though its start script runs next start, not node.
func TestDetectWorkspaceNextApps(t *testing.T) {
	files := map[string]string{
		"package.json":             `{"workspaces": ["apps/*", "packages/*"]}`,
		"apps/web/package.json":    `{"name": "web", "scripts": {"start": "next start"}, "dependencies": {"next": "16.5.0", "ui": "*"}}`,
		"packages/ui/package.json": `{"name": "ui"}`,
	}
	det, err := Language{}.Detect(writeTree(t, files))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"apps/web/.next/standalone", "apps/web/.next/static"}; !slices.Equal(det.Artifacts, want) {
		t.Errorf("artifacts %q, want %q", det.Artifacts, want)
	}
	files["apps/api/package.json"] = `{"scripts": {"start": "node main.js"}}`
	files["apps/api/main.js"] = ""
	if _, err := (Language{}).Detect(writeTree(t, files)); err == nil || !strings.Contains(err.Error(), "several apps (apps/api, apps/web); run hardened init in the directory of the one to build") {
		t.Errorf("two apps, one Next.js: %v", err)
	}
}

// package.json's bin is a path or a map of commands to paths.
func TestPackageJSONBins(t *testing.T) {
	for raw, want := range map[string][]string{`"./bin/a.js"`: {"bin/a.js"}, `{"a": "bin/a.js", "b": "tools/b.js"}`: {"bin/a.js", "tools/b.js"}, `7`: nil} {
		got := (&packageJSON{Bin: []byte(raw)}).bins()
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %q", raw, got, want)
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("%s: %v lacks %s", raw, got, w)
			}
		}
	}
}
