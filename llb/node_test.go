package llb_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// loadDir reads examples/<dir>: its hardened.yaml, loaded as the frontend does, and the
// context files its language asks for.
func loadDir(t *testing.T, dir string) (*spec.Spec, hllb.Files) {
	t.Helper()
	dir = filepath.Join("..", "examples", dir)
	dt, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load("hardened.yaml", dt, hllb.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	lang, _ := hllb.Lookup(s.Language)
	files := hllb.Files{}
	for _, f := range lang.ContextFiles() {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			files[f] = b
		}
	}
	return s, files
}

// loadChecked is load with each language's own rules, as the frontend and lint run them.
func loadChecked(yaml string) (*spec.Spec, error) {
	return spec.Load("hardened.yaml", []byte(yaml), hllb.SpecOptions()...)
}

func TestNodeExampleLLB(t *testing.T) {
	s, files := loadDir(t, "node")
	res, g := convert(t, s, resolved(t, s, files, amd64))

	wantSources := []string{
		"docker-image://docker.io/library/node:18-bookworm-slim@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/nodejs18-debian12:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}

	manifest := g.Named(t, "copy package.json and package-lock.json")
	if inc := findCopy(t, manifest, "/").IncludePatterns; !slices.Equal(inc, []string{"package.json", "package-lock.json"}) {
		t.Errorf("manifest copy includes %q", inc)
	}
	install := g.Named(t, "npm ci --omit=dev")
	assertCacheMount(t, install, "/root/.npm", "hardened/node/npm")
	if args := install.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"npm", "ci", "--omit=dev"}) {
		t.Errorf("install args = %q, want exec form npm ci --omit=dev", args)
	}
	if cwd := install.Op.GetExec().GetMeta().GetCwd(); cwd != "/src" {
		t.Errorf("install runs in %q", cwd)
	}
	if env := llbtest.Env(install); env["npm_config_cache"] != "/root/.npm" {
		t.Errorf("install env = %v: npm must use the cache mount", env)
	}
	source := g.Named(t, "copy source")
	if g.DependsOn(install, source.Digest) {
		t.Error("npm ci depends on the source copy; a source change would redo the install")
	}
	if !g.DependsOn(source, install.Digest) {
		t.Error("the source copy does not come after npm ci")
	}
	if ex := findCopy(t, source, "/").ExcludePatterns; !slices.Contains(ex, "node_modules") {
		t.Errorf("source copy excludes %q: the context's node_modules would replace npm ci's", ex)
	}

	// The builder lays the app out in /out: package.json, node_modules, the artifacts by path.
	layout := g.Named(t, "lay out the app in /out: package.json, node_modules and the artifacts")
	for src, dest := range map[string]string{
		"/src/package.json": "/out/package.json", "/src/node_modules": "/out/node_modules",
		"/src/server.js": "/out/server.js", "/src/lib": "/out/lib", "/src/healthcheck.js": "/out/healthcheck.js",
	} {
		if cp := findCopy(t, layout, src); cp.Dest != dest {
			t.Errorf("layout copies %s to %s, want %s", src, cp.Dest, dest)
		}
	}

	// The final stage takes /out whole into /app, without setuid/setgid, owned by root.
	final := g.Named(t, "copy artifacts to /app (setuid/setgid stripped)")
	cp := findCopy(t, g.Named(t, "stage /app"), "/out")
	if cp.Dest != "/app/" || !cp.DirCopyContents || cp.ModeStr != "u-s,g-s" || cp.Owner.GetUser().GetByID() != 0 {
		t.Errorf("final copy = %s -> %s contents %v mode %q owner %v", cp.Src, cp.Dest, cp.DirCopyContents, cp.ModeStr, cp.Owner)
	}
	if base, ok := g.Input(final, 0); !ok || !strings.Contains(base.Op.GetSource().GetIdentifier(), "distroless/nodejs18") {
		t.Errorf("the final stage is not on distroless nodejs18")
	}
	for _, o := range g.Execs() {
		for _, arg := range o.Op.GetExec().GetMeta().GetArgs() {
			if arg == "sh" || arg == "-c" {
				t.Errorf("%s runs a shell: %q", o.Name, o.Op.GetExec().GetMeta().GetArgs())
			}
		}
	}

	img := res.Image
	if !slices.Equal(img.Config.Entrypoint, []string{"/nodejs/bin/node", "/app/server.js"}) {
		t.Errorf("entrypoint = %q", img.Config.Entrypoint)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", img.Config.User, img.Config.WorkingDir)
	}
	if img.Config.Labels[hllb.LabelBaseName] != "gcr.io/distroless/nodejs18-debian12:nonroot" {
		t.Errorf("base label = %q", img.Config.Labels[hllb.LabelBaseName])
	}
}

func TestNodeBuildScript(t *testing.T) {
	s := load(t, "language: node\nversion: \"20\"\nartifacts: [./dist]\nbuild:\n  script: build\n")
	files := hllb.Files{"package.json": []byte(`{}`), "package-lock.json": []byte(`{}`)}
	_, g := convert(t, s, resolved(t, s, files, amd64))

	install := g.Named(t, "npm ci")
	if args := install.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"npm", "ci"}) {
		t.Errorf("install args = %q: the build script needs devDependencies", args)
	}
	build := g.Named(t, "npm run build")
	prune := g.Named(t, "npm prune --omit=dev")
	if !g.DependsOn(prune, build.Digest) || !g.DependsOn(build, g.Named(t, "copy source").Digest) {
		t.Error("want copy source, npm run build, npm prune --omit=dev in that order")
	}
	if build.Op.GetExec().Network != pb.NetMode_NONE {
		t.Error("the build script has network; dependencies are installed already")
	}
	layout := g.Named(t, "lay out the app in /out: package.json, node_modules and the artifacts")
	if !g.DependsOn(layout, prune.Digest) {
		t.Error("the app is laid out before devDependencies are pruned")
	}
	findCopy(t, layout, "/src/dist")
}

func TestNodeVersion(t *testing.T) {
	lang, _ := hllb.Lookup("node")
	lock := []byte(`{}`)
	for _, tc := range []struct {
		yaml, pkg, builder, base string
	}{
		{`version: "20"`, `{}`, "docker.io/library/node:20-bookworm-slim", "gcr.io/distroless/nodejs20-debian12:nonroot"},
		{`version: "22.3.0"`, `{}`, "docker.io/library/node:22.3.0-bookworm-slim", "gcr.io/distroless/nodejs22-debian12:nonroot"},
		{``, `{"engines": {"node": ">=20.9 <23"}}`, "docker.io/library/node:20-bookworm-slim", "gcr.io/distroless/nodejs20-debian12:nonroot"},
		{``, `{"engines": {"node": "^18.17.0"}}`, "docker.io/library/node:18-bookworm-slim", "gcr.io/distroless/nodejs18-debian12:nonroot"},
	} {
		s := load(t, "language: node\nartifacts: [index.js]\n"+tc.yaml+"\n")
		files := hllb.Files{"package.json": []byte(tc.pkg), "package-lock.json": lock}
		breq, err := lang.Builder(s, files, amd64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		base, ok, err := hllb.BaseImage(s, files, amd64)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if breq.Ref != tc.builder || base.Ref != tc.base {
			t.Errorf("%s %s: builder %s base %s, want %s %s", tc.yaml, tc.pkg, breq.Ref, base.Ref, tc.builder, tc.base)
		}
	}
}

func TestNodeErrorsPointAtTheSpec(t *testing.T) {
	lang, _ := hllb.Lookup("node")
	s := load(t, "language: node\nartifacts: [index.js]\n")
	for files, want := range map[*hllb.Files]string{
		{"package.json": []byte(`{"name": "x"}`), "package-lock.json": []byte(`{}`)}: `hardened.yaml:1:11: language: no Node.js version: the spec has no version and package.json no engines.node; write version: "20"`,
		{"package-lock.json": []byte(`{}`)}:                                          "hardened.yaml:1:11: language: no package.json at the root of the build context",
		{"package.json": []byte(`{"engines": {"node": "18"}}`)}:                      "hardened.yaml:1:11: language: no package-lock.json at the root of the build context",
	} {
		_, err := lang.Builder(s, *files, amd64, amd64)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error = %v, want prefix %q", err, want)
		}
	}
}

func TestNodeSpecChecks(t *testing.T) {
	for yaml, want := range map[string]string{
		"language: node\nversion: v20\nartifacts: [a.js]\n":                    `hardened.yaml:2:10: version: "v20" is not a Node.js version`,
		"language: node\nartifacts: [a.js]\ncgo: true\n":                       "hardened.yaml:3:6: cgo: language node does not use cgo; remove it",
		"language: node\nartifacts: [a.js]\nbase: static\n":                    "hardened.yaml:3:7: base: language node does not use base; remove it",
		"language: node\nartifacts: [a.js]\nbuild:\n  ldflags: -s\n":           "hardened.yaml:4:12: build.ldflags: language node does not use build.ldflags; remove it",
		"language: node\nartifacts: [a.js]\nbuild:\n  script: --prefix=/tmp\n": `hardened.yaml:4:11: build.script: "--prefix=/tmp" is not a package.json script name`,
		"language: go\nartifacts: [./cmd/a]\nbuild:\n  script: build\n":        "hardened.yaml:4:11: build.script: language go does not use build.script; remove it",
	} {
		_, err := loadChecked(yaml)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", yaml, err, want)
		}
	}
	if _, err := loadChecked("language: node\nversion: \"18.20.4\"\nartifacts: [a.js]\nbuild:\n  script: build:prod\n"); err != nil {
		t.Errorf("a valid node spec: %v", err)
	}
}
