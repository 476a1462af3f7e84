package golang_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	golang "github.com/hardenedbuild/hardened/lang/go"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestGoExampleLLB(t *testing.T) {
	s, files := loadExample(t)
	res, g := convert(t, s, resolved(t, s, files, amd64))

	// Every image is pinned by digest; the context is the only other source.
	wantSources := []string{
		"docker-image://docker.io/library/golang:1.26-trixie@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/static-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}

	// One step fills the shared cache mount, then stages the modules into the builder's layer: the compile
	// must not depend on a cache mount's content, which a remote cache import does not restore.
	download := g.Named(t, golang.ModulesStep)
	assertCacheMount(t, download, "/root/.cache/go-mod", "hardened/go/mod")
	if env := llbtest.Env(download); env["GOMODCACHE"] != "/go/pkg/mod" {
		t.Errorf("download GOMODCACHE = %q, want the builder's own /go/pkg/mod for the staged copy", env["GOMODCACHE"])
	}
	dl := download.Op.GetExec().GetMeta().GetArgs()
	if len(dl) != 5 || dl[0] != "sh" || dl[1] != "-c" || dl[3] != "hardened-go-modules" || dl[4] != "https://proxy.golang.org,direct" {
		t.Fatalf("download args = %q, want sh -c SCRIPT hardened-go-modules PROXY", dl)
	}
	fill, stage, ok := strings.Cut(dl[2], " && ")
	if !ok || fill != "GOMODCACHE=/root/.cache/go-mod go mod download" {
		t.Errorf("the script's first command = %q, want the download into the cache mount", fill)
	}
	if stage != `GOPROXY="file:///root/.cache/go-mod/cache/download,$1" exec go mod download` {
		t.Errorf("the script's staging command = %q, want a download from the mount, then the spec's proxy ($1)", stage)
	}
	copySource := g.Named(t, "copy source")
	if g.DependsOn(download, copySource.Digest) {
		t.Error("go mod download depends on the full source copy; a source change would redo the download")
	}
	if !g.DependsOn(copySource, download.Digest) {
		t.Error("the source copy does not come after go mod download")
	}

	compile := g.Named(t, "compile ./cmd/server for linux/amd64")
	ex := compile.Op.GetExec()
	assertCacheMount(t, compile, "/root/.cache/go-build", "hardened/go/build")
	for _, m := range ex.GetMounts() {
		if m.MountType == pb.MountType_CACHE && m.CacheOpt.GetID() == "hardened/go/mod" {
			t.Error("the compile reads modules from a cache mount")
		}
	}
	if !g.DependsOn(compile, download.Digest) {
		t.Error("the compile does not follow the module staging")
	}
	if ex.Network != pb.NetMode_NONE {
		t.Errorf("compile network = %v, want none", ex.Network)
	}
	args := ex.GetMeta().GetArgs()
	for _, want := range []string{"-trimpath", "/hardened/out/server", "./cmd/server"} {
		if !slices.Contains(args, want) {
			t.Errorf("compile args %q lack %q", args, want)
		}
	}
	env := llbtest.Env(compile)
	for k, v := range map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "GOTOOLCHAIN": "local"} {
		if env[k] != v {
			t.Errorf("compile env %s = %q, want %q", k, env[k], v)
		}
	}

	// The final stage copies the builder's artifact directory whole onto /app, in one copy, stripping
	// setuid/setgid.
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	if cp := findCopy(t, final, "/hardened/out"); cp.Dest != "/app" || cp.ModeStr != "u=rwX,go=rX,-st" || cp.DirCopyContents {
		t.Errorf("artifact copy = %s -> %s mode %q contents %v, want the directory at /app mode u=rwX,go=rX,-st", cp.Src, cp.Dest, cp.ModeStr, cp.DirCopyContents)
	}
	for _, o := range g.Ops {
		if o.Name == "stage /app" {
			t.Error("/app is staged apart with no build.steps")
		}
	}
	if base, ok := g.Input(final, 0); !ok || base.Op.GetSource() == nil || !strings.Contains(base.Op.GetSource().Identifier, "distroless/static") {
		t.Errorf("the final stage is not on the distroless base")
	}
	for _, o := range g.Execs() {
		if g.DependsOn(final, o.Digest) && o.Op.GetPlatform().GetArchitecture() == "" {
			t.Errorf("exec %q has no platform", o.Name)
		}
	}

	img := res.Image
	if img.Config.User != "65532:65532" {
		t.Errorf("user = %q", img.Config.User)
	}
	if !slices.Equal(img.Config.Entrypoint, []string{"/app/server"}) {
		t.Errorf("entrypoint = %q", img.Config.Entrypoint)
	}
	if img.Config.Labels[hllb.LabelBaseDigest] != staticDigest.String() ||
		img.Config.Labels[hllb.LabelBaseName] != "gcr.io/distroless/static-debian13:nonroot" {
		t.Errorf("base labels = %v", img.Config.Labels)
	}
	if _, ok := img.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports = %v", img.Config.ExposedPorts)
	}
	if img.Config.Healthcheck == nil || !slices.Equal(img.Config.Healthcheck.Test, []string{"CMD", "/app/server", "-check"}) {
		t.Errorf("healthcheck = %+v", img.Config.Healthcheck)
	}
	if !slices.Contains(img.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") || !slices.Contains(img.Config.Env, "ADDR=:8080") {
		t.Errorf("env = %q: the base's env must be kept and the spec's added", img.Config.Env)
	}
	if img.Created != nil {
		t.Errorf("created = %v without SOURCE_DATE_EPOCH", img.Created)
	}
}

func TestCrossCompileRunsOnBuildPlatform(t *testing.T) {
	s, files := loadExample(t)
	_, g := convert(t, s, resolved(t, s, files, arm64))
	compile := g.Named(t, "compile ./cmd/server for linux/arm64")
	if a := compile.Op.GetPlatform().GetArchitecture(); a != "amd64" {
		t.Errorf("compile runs on %s, want the build platform amd64 (no emulation)", a)
	}
	if env := llbtest.Env(compile); env["GOARCH"] != "arm64" {
		t.Errorf("GOARCH = %q, want arm64", env["GOARCH"])
	}
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	if base, ok := g.Input(final, 0); !ok || base.Op.GetPlatform().GetArchitecture() != "arm64" {
		t.Errorf("the final stage is not on the arm64 base")
	}
}

func TestCgoUsesBaseAndTargetBuilder(t *testing.T) {
	s := load(t, "language: go\nversion: \"1.26\"\ncgo: true\nartifacts: [./cmd/server]\n")
	req, ok, err := baseImage(s, nil, amd64)
	if err != nil || !ok || req.Ref != "gcr.io/distroless/base-debian13:nonroot" {
		t.Errorf("cgo base = %q, want distroless base", req.Ref)
	}
	lang, _ := registry.Lookup("go")
	breq, err := lang.Builder(s, nil, arm64, amd64)
	if err != nil {
		t.Fatal(err)
	}
	if breq.Platform.Architecture != "arm64" {
		t.Errorf("cgo builder platform = %s, want the target's", breq.Platform.Architecture)
	}
	_, g := convert(t, s, resolved(t, s, nil, amd64))
	if env := llbtest.Env(g.Named(t, "compile ./cmd/server for linux/amd64")); env["CGO_ENABLED"] != "1" {
		t.Errorf("CGO_ENABLED = %q", env["CGO_ENABLED"])
	}
}

func TestGoVersionFromGoMod(t *testing.T) {
	lang, _ := registry.Lookup("go")
	for _, tc := range []struct{ name, mod, specVersion, want string }{
		{"go line", "module x\n\ngo 1.25\n", "", "1.25"},
		{"go line with patch uses the minor", "module x\n\ngo 1.25.3\n", "", "1.25"},
		{"toolchain line wins", "module x\n\ngo 1.24\n\ntoolchain go1.25.4\n", "", "1.25.4"},
		{"spec wins", "module x\n\ngo 1.24\n", "1.26.8", "1.26.8"},
		// golang's trixie tags start at 1.23: an older minimum builds with the newest Go.
		{"go line older than any trixie image", "module x\n\ngo 1.15\n", "", "1"},
		{"toolchain line older than any trixie image", "module x\n\ngo 1.21\n\ntoolchain go1.22.3\n", "", "1"},
		{"the first trixie minor", "module x\n\ngo 1.23.4\n", "", "1.23"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := "language: go\nartifacts: [./cmd/server]\n"
			if tc.specVersion != "" {
				y += "version: " + tc.specVersion + "\n"
			}
			req, err := lang.Builder(load(t, y), hllb.Files{"go.mod": []byte(tc.mod)}, amd64, amd64)
			if err != nil {
				t.Fatal(err)
			}
			if want := "docker.io/library/golang:" + tc.want + "-trixie"; req.Ref != want {
				t.Errorf("builder = %s, want %s", req.Ref, want)
			}
		})
	}
}

// A version the spec names must have an image: Go 1.22 has no trixie tag, 1.19 has a bookworm one.
func TestGoVersionWithoutAnImage(t *testing.T) {
	lang, _ := registry.Lookup("go")
	mod := hllb.Files{"go.mod": []byte("module x\n\ngo 1.15\n")}
	s := load(t, "language: go\nartifacts: [./cmd/server]\nversion: \"1.22\"\n")
	_, err := lang.Builder(s, mod, amd64, amd64)
	if err == nil || !strings.Contains(err.Error(), "hardened.yaml:3:10") || !strings.Contains(err.Error(), "trixie tags start at 1.23") {
		t.Errorf("err = %v, want a hardened.yaml:3:10 error naming the first trixie tag", err)
	}
	s = load(t, "language: go\nartifacts: [./cmd/server]\nversion: \"1.19\"\ndebian: \"12\"\n")
	req, err := lang.Builder(s, mod, amd64, amd64)
	if err != nil || req.Ref != "docker.io/library/golang:1.19-bookworm" {
		t.Errorf("builder = %s, %v; want golang:1.19-bookworm", req.Ref, err)
	}
}

func TestGoVersionErrorsPointAtTheSpec(t *testing.T) {
	lang, _ := registry.Lookup("go")
	s := load(t, "# syntax=x\nlanguage: go\nartifacts: [./cmd/server]\n")
	_, err := lang.Builder(s, hllb.Files{}, amd64, amd64)
	if err == nil || !strings.Contains(err.Error(), "hardened.yaml:2:11") || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("err = %v, want a hardened.yaml:2:11 error about go.mod", err)
	}
	_, err = lang.Builder(s, hllb.Files{"go.mod": []byte("module x\n")}, amd64, amd64)
	if err == nil || !strings.Contains(err.Error(), "version: 1.26") {
		t.Errorf("err = %v, want a hint to write version", err)
	}
}

// The spec's GOPROXY reaches the staging as an argument of the fixed script, never as part of it.
func TestGoProxyIsAnArgumentOfTheModulesScript(t *testing.T) {
	proxy := `https://goproxy.example/"$(id)";direct`
	s := load(t, "language: go\nartifacts: [./cmd/server]\nbuild:\n  env: {GOPROXY: '"+proxy+"'}\n")
	_, files := loadExample(t)
	_, g := convert(t, s, resolved(t, s, files, amd64))
	args := g.Named(t, golang.ModulesStep).Op.GetExec().GetMeta().GetArgs()
	def := golang.GoModulesCommand(load(t, "language: go\nartifacts: [./cmd/server]\n"))
	if len(args) != 5 || args[2] != def[2] || args[4] != proxy {
		t.Errorf("args = %q, want the default script with %q as its argument", args, proxy)
	}
	if env := llbtest.Env(g.Named(t, golang.ModulesStep)); env["GOPROXY"] != proxy {
		t.Errorf("the first download's GOPROXY = %q, want the spec's", env["GOPROXY"])
	}
}
