package node_test

import (
	"slices"
	"testing"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// NODE_ENV is production in the image and for the production install, the build script and the
// prune; the install a build script needs keeps devDependencies; the spec's values win.
func TestNodeEnvProduction(t *testing.T) {
	files := hllb.Files{"package.json": []byte(`{}`), "package-lock.json": []byte(`{}`)}
	s := load(t, "language: node\nversion: \"22\"\nartifacts: [dist/server.js]\nbuild:\n  script: build\n")
	res, g := convert(t, s, resolved(t, s, files, amd64))
	if !slices.Contains(res.Image.Config.Env, "NODE_ENV=production") {
		t.Errorf("image env %q lacks NODE_ENV=production", res.Image.Config.Env)
	}
	if v, set := llbtest.Env(g.Named(t, "npm ci"))["NODE_ENV"]; set {
		t.Errorf("the install before the build script has NODE_ENV=%s; it would drop devDependencies", v)
	}
	for _, name := range []string{"npm run build", "npm prune --omit=dev"} {
		if v := llbtest.Env(g.Named(t, name))["NODE_ENV"]; v != "production" {
			t.Errorf("%s runs with NODE_ENV=%q, want production", name, v)
		}
	}

	s = load(t, "language: node\nversion: \"22\"\nartifacts: [server.js]\nenv: {NODE_ENV: staging}\nbuild:\n  env: {NODE_ENV: test}\n")
	res, g = convert(t, s, resolved(t, s, files, amd64))
	if !slices.Contains(res.Image.Config.Env, "NODE_ENV=staging") || slices.Contains(res.Image.Config.Env, "NODE_ENV=production") {
		t.Errorf("image env %q: the spec's NODE_ENV=staging should win", res.Image.Config.Env)
	}
	if v := llbtest.Env(g.Named(t, "npm ci --omit=dev"))["NODE_ENV"]; v != "test" {
		t.Errorf("install NODE_ENV=%q, want build.env's test", v)
	}
}

// With a build script, the artifacts may be its output: a step after the prune checks they exist
// before the layout copies them, offline, with the paths as arguments.
func TestNodeBuiltArtifactsChecked(t *testing.T) {
	files := hllb.Files{"package.json": []byte(`{}`), "package-lock.json": []byte(`{}`)}
	s := load(t, "language: node\nversion: \"22\"\nartifacts: [dist/server.js, views]\nbuild:\n  script: build\n")
	_, g := convert(t, s, resolved(t, s, files, amd64))
	check := g.Named(t, "check the build script made the artifacts")
	args := check.Op.GetExec().GetMeta().GetArgs()
	if len(args) < 4 || !slices.Equal(args[len(args)-4:], []string{"build", "", "dist/server.js", "views"}) || args[0] != "node" {
		t.Errorf("check args = %q", args)
	}
	if !g.DependsOn(check, g.Named(t, "npm prune --omit=dev").Digest) {
		t.Error("the check runs before the prune")
	}
	layout := g.Named(t, "lay out the app in /hardened/out: package.json and the artifacts")
	if !g.DependsOn(layout, check.Digest) {
		t.Error("the layout does not wait for the check")
	}
}
