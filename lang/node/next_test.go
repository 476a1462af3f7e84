package node_test

import (
	"slices"
	"testing"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	hllb "github.com/hardenedbuild/hardened/llb"
)

// nextSpec is a Next.js app's spec as init writes it for the testdata project.
const nextSpec = "language: node\nversion: \"24\"\nartifacts: [.next/standalone, .next/static, public]\nbuild:\n  script: build\n"

var nextFiles = hllb.Files{"package.json": []byte(`{"scripts": {"build": "next build"}}`), "package-lock.json": []byte(`{}`)}

// The standalone output is /app itself, server.js what node runs; .next/static and public land where
// server.js serves them from, and the install's node_modules ships nowhere.
func TestNextStandaloneLLB(t *testing.T) {
	s := load(t, nextSpec)
	res, g := convert(t, s, resolved(t, s, nextFiles, amd64))

	if ep := res.Image.Config.Entrypoint; !slices.Equal(ep, []string{"/nodejs/bin/node", "/app/server.js"}) {
		t.Errorf("entrypoint %q, want node on /app/server.js", ep)
	}
	for _, want := range []string{"NODE_ENV=production", "HOSTNAME=0.0.0.0", "PORT=3000"} {
		if !slices.Contains(res.Image.Config.Env, want) {
			t.Errorf("image env %q lacks %s", res.Image.Config.Env, want)
		}
	}
	layout := g.Named(t, "lay out the app in /hardened/out: the Next.js standalone output and the other artifacts")
	if cp := findCopy(t, layout, "/src/.next/standalone"); cp.Dest != "/hardened/out/" || !cp.DirCopyContents {
		t.Errorf("standalone copied to %s (contents %v), want its contents at /hardened/out/", cp.Dest, cp.DirCopyContents)
	}
	for src, dest := range map[string]string{"/src/.next/static": "/hardened/out/.next/static", "/src/public": "/hardened/out/public"} {
		if cp := findCopy(t, layout, src); cp.Dest != dest {
			t.Errorf("layout copies %s to %s, want %s", src, cp.Dest, dest)
		}
	}
	// standalone has its own package.json, the one server.js reads.
	assertNoCopy(t, layout, "/src/package.json")
	for _, o := range g.Ops {
		if o.Name == "npm prune --omit=dev" || o.Name == "copy the dependency tree to /app/node_modules (root-owned, modes 0644/0755)" {
			t.Errorf("%q: the standalone output carries its own node_modules", o.Name)
		}
	}
	build := g.Named(t, "npm run build")
	if env := llbtest.Env(build); env["NEXT_TELEMETRY_DISABLED"] != "1" || env["NODE_ENV"] != "production" {
		t.Errorf("next build env %v", env)
	}
	check := g.Named(t, "check the build script made the artifacts")
	args := check.Op.GetExec().GetMeta().GetArgs()
	if want := []string{"build", ".next/standalone/server.js", ".next/standalone", ".next/static", "public"}; !slices.Equal(args[len(args)-5:], want) {
		t.Errorf("check args end %q, want %q", args[len(args)-5:], want)
	}
}

// In a monorepo built from its root, next build writes server.js at the app's path inside the
// standalone output, and .next/static and public go beside it.
func TestNextStandaloneMonorepo(t *testing.T) {
	s := load(t, "language: node\nversion: \"24\"\nartifacts: [apps/web/.next/standalone, apps/web/.next/static]\nbuild:\n  script: build\n")
	res, g := convert(t, s, resolved(t, s, nextFiles, amd64))
	if ep := res.Image.Config.Entrypoint; !slices.Equal(ep, []string{"/nodejs/bin/node", "/app/apps/web/server.js"}) {
		t.Errorf("entrypoint %q", ep)
	}
	layout := g.Named(t, "lay out the app in /hardened/out: the Next.js standalone output and the other artifacts")
	if cp := findCopy(t, layout, "/src/apps/web/.next/static"); cp.Dest != "/hardened/out/apps/web/.next/static" {
		t.Errorf("static copied to %s", cp.Dest)
	}
	check := g.Named(t, "check the build script made the artifacts")
	if args := check.Op.GetExec().GetMeta().GetArgs(); !slices.Contains(args, "apps/web/.next/standalone/apps/web/server.js") {
		t.Errorf("check args %q do not name the monorepo's server.js", args)
	}
}

// The spec's env wins over the standalone server's defaults, and an app that is not Next's gets none.
func TestNextEnvDefaults(t *testing.T) {
	s := load(t, nextSpec+"env:\n  PORT: \"8080\"\n")
	res, _ := convert(t, s, resolved(t, s, nextFiles, amd64))
	if env := res.Image.Config.Env; !slices.Contains(env, "PORT=8080") || slices.Contains(env, "PORT=3000") {
		t.Errorf("env %q, want the spec's PORT=8080", env)
	}
	s = load(t, "language: node\nversion: \"24\"\nartifacts: [dist/standalone/server.js]\n")
	res, _ = convert(t, s, resolved(t, s, nextFiles, amd64))
	for _, e := range res.Image.Config.Env {
		if e == "HOSTNAME=0.0.0.0" || e == "PORT=3000" {
			t.Errorf("%s in the env of an app that is not a Next.js standalone server", e)
		}
	}
}
