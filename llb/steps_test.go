package llb_test

import (
	"path"
	"slices"
	"testing"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	golang "github.com/hardenedbuild/hardened/lang/go"
)

// A sh step is the builder's shell running the script as written; build args reach every builder
// step as variables, and the build's value wins over the default.
func TestShellStepAndBuildArgs(t *testing.T) {
	s := load(t, `language: go
artifacts: [./cmd/server]
build:
  args: {VERSION: dev}
  steps:
    - sh: 'test -n "$VERSION" && echo "$VERSION" > /hardened/out/version'
    - {name: vet, run: [go, vet, ./...]}
`).WithBuildArgs(map[string]string{"VERSION": "1.2.3"})
	_, files := loadExample(t)
	_, g := convert(t, s, resolved(t, s, files, amd64))

	sh := g.Named(t, `sh: test -n "$VERSION" && echo "$VERSION" > /hardened/out/version`)
	if args := sh.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"/bin/sh", "-c", `test -n "$VERSION" && echo "$VERSION" > /hardened/out/version`}) {
		t.Errorf("sh step args = %q", args)
	}
	for _, name := range []string{`sh: test -n "$VERSION" && echo "$VERSION" > /hardened/out/version`, "vet", golang.ModulesStep, "compile ./cmd/server for linux/amd64"} {
		if v := llbtest.Env(g.Named(t, name))["VERSION"]; v != "1.2.3" {
			t.Errorf("%s: VERSION = %q, want the build's 1.2.3", name, v)
		}
	}
}

// build.steps see the whole app in /hardened/out: a language that ships its dependency tree apart lays it
// out there first, and the final stage then takes /hardened/out alone, as the steps left it.
func TestStepsSeeTheDependencyTree(t *testing.T) {
	for _, tc := range []struct{ yaml, tree, dest string }{
		{"language: node\nversion: \"22\"\nartifacts: [server.js]\n", "/src/node_modules", "/hardened/out/node_modules"},
		{"language: python\nartifacts: [app.py]\n", "/deps/.venv", "/hardened/out/.venv"},
	} {
		s := load(t, tc.yaml+"build:\n  steps:\n    - {name: prune, run: [rm, -rf, "+tc.dest+"/unused]}\n")
		files := map[string][]byte{"package.json": []byte(`{}`), "package-lock.json": []byte(`{}`), "requirements.txt": nil}
		_, g := convert(t, s, resolved(t, s, files, amd64))

		layout := g.Named(t, "lay out "+path.Base(tc.dest)+" in /hardened/out for build.steps")
		if cp := findCopy(t, layout, tc.tree); cp.Dest != tc.dest {
			t.Errorf("%s: the tree goes to %s, want %s", s.Language, cp.Dest, tc.dest)
		}
		step := g.Named(t, "prune")
		if !g.DependsOn(step, layout.Digest) {
			t.Errorf("%s: the step runs before the tree is in /hardened/out", s.Language)
		}
		// The steps write to /out, a link to where the builder left the artifacts.
		link := g.Named(t, "link /out to /hardened/out for build.steps")
		if sl := link.Op.GetFile().GetActions()[0].GetSymlink(); sl == nil || sl.Oldpath != "/hardened/out" || sl.Newpath != "/out" {
			t.Errorf("%s: link op = %v", s.Language, link.Op.GetFile().GetActions())
		}
		if !g.DependsOn(step, link.Digest) || llbtest.Env(step)["HARDENED_OUT"] != "/out" {
			t.Errorf("%s: the step runs without the /out link, HARDENED_OUT=%q", s.Language, llbtest.Env(step)["HARDENED_OUT"])
		}
		final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
		assertNoCopy(t, final, tc.tree)
		if from := copyInput(t, g, final, "/hardened/out"); from.Digest != step.Digest {
			t.Errorf("%s: /app is taken from %q, want the step's result", s.Language, from.Name)
		}
	}
}
