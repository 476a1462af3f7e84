package python_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
)

const pipInstall = "python3 -m pip --python /venv/bin/python install --no-compile"

func TestPythonExampleLLB(t *testing.T) {
	s, files := loadDir(t, "python")
	res, g := convert(t, s, resolved(t, s, files, amd64))

	wantSources := []string{
		"docker-image://docker.io/library/python:3.13-trixie@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/python3-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}

	// requirements.txt and the wheelhouse it names come first, alone.
	manifest := g.Named(t, "copy requirements.txt, wheels")
	if inc := findCopy(t, manifest, "/").IncludePatterns; !slices.Equal(inc, []string{"requirements.txt", "wheels"}) {
		t.Errorf("manifest copy includes %q", inc)
	}
	install := g.Named(t, pipInstall+" -r requirements.txt")
	assertCacheMount(t, install, "/root/.cache/pip", "hardened/python/pip")
	meta := install.Op.GetExec().GetMeta()
	if args := meta.GetArgs(); !slices.Equal(args, strings.Fields(pipInstall+" -r requirements.txt")) {
		t.Errorf("install args = %q", args)
	}
	if meta.GetCwd() != "/src" {
		t.Errorf("install runs in %q", meta.GetCwd())
	}
	if env := llbtest.Env(install); env["PIP_CACHE_DIR"] != "/root/.cache/pip" || env["PYTHONDONTWRITEBYTECODE"] != "1" {
		t.Errorf("install env = %v: pip must use the cache mount and write no timestamped bytecode", env)
	}
	if !g.DependsOn(install, manifest.Digest) || !g.DependsOn(install, g.Named(t, "python3 -m venv --without-pip /venv").Digest) {
		t.Error("the install does not follow the manifest copy and the virtualenv")
	}
	source := g.Named(t, "copy source")
	if g.DependsOn(install, source.Digest) {
		t.Error("pip install depends on the source copy; a source change would redo the install")
	}
	if !g.DependsOn(source, install.Digest) {
		t.Error("the source copy does not come after pip install")
	}
	if ex := findCopy(t, source, "/").ExcludePatterns; !slices.Contains(ex, ".venv") {
		t.Errorf("source copy excludes %q: a local virtualenv would reach the builder", ex)
	}

	// The virtualenv as it ships, in /deps before the source copy: distroless's interpreter and
	// site-packages only.
	layout := g.Named(t, "lay out the virtualenv .venv in /deps")
	if cp := findCopy(t, layout, "/venv/lib/python3.13/site-packages"); cp.Dest != "/deps/.venv/lib/python3.13/site-packages" {
		t.Errorf("site-packages go to %s", cp.Dest)
	}
	if g.DependsOn(layout, source.Digest) || !g.DependsOn(layout, install.Digest) {
		t.Error("the virtualenv must be laid out after pip install and before the source copy")
	}
	links, mkfiles := map[string]string{}, map[string]string{}
	for _, a := range layout.Op.GetFile().GetActions() {
		if l := a.GetSymlink(); l != nil {
			links[l.Newpath] = l.Oldpath
		}
		if f := a.GetMkfile(); f != nil {
			mkfiles[f.Path] = string(f.Data)
		}
		if c := a.GetCopy(); c != nil && strings.Contains(c.Src, "/opt/hardened-pip") {
			t.Errorf("pip's own virtualenv reaches the image: %s", c.Src)
		}
	}
	if links["/deps/.venv/bin/python"] != "/usr/bin/python3.13" {
		t.Errorf("venv python links to %q, want distroless's interpreter /usr/bin/python3.13", links["/deps/.venv/bin/python"])
	}
	if cfg := mkfiles["/deps/.venv/pyvenv.cfg"]; !strings.Contains(cfg, "home = /usr/bin\n") || !strings.Contains(cfg, "version = 3.13\n") {
		t.Errorf("pyvenv.cfg = %q", cfg)
	}
	if pth := mkfiles["/deps/.venv/lib/python3.13/site-packages/hardened-app.pth"]; pth != "/app\n" {
		t.Errorf("app .pth = %q", pth)
	}
	apps := g.Named(t, "lay out the app in /hardened/out: the artifacts")
	for src, dest := range map[string]string{"/src/server.py": "/hardened/out/server.py", "/src/hello": "/hardened/out/hello", "/src/healthcheck.py": "/hardened/out/healthcheck.py"} {
		if cp := findCopy(t, apps, src); cp.Dest != dest {
			t.Errorf("layout copies %s to %s, want %s", src, cp.Dest, dest)
		}
	}

	// Bytecode keyed by source hash, with /app paths and a fixed hash seed: reproducible. The
	// virtualenv's before the source copy, the artifacts' after it.
	for dir, after := range map[string]llbtest.Op{"/deps": layout, "/hardened/out": apps} {
		compile := g.Named(t, "compile bytecode in "+dir)
		if args := compile.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, strings.Fields("python3 -m compileall -q --invalidation-mode unchecked-hash -s "+dir+" -p /app "+dir)) {
			t.Errorf("bytecode compile args = %q", args)
		}
		if compile.Op.GetExec().Network != pb.NetMode_NONE || llbtest.Env(compile)["PYTHONHASHSEED"] != "0" {
			t.Errorf("bytecode compile network %v env %v", compile.Op.GetExec().Network, llbtest.Env(compile))
		}
		if !g.DependsOn(compile, after.Digest) {
			t.Errorf("bytecode in %s is compiled before %s", dir, after.Name)
		}
	}

	// The final stage takes the virtualenv from its compile, which a source change leaves cached,
	// then /hardened/out whole into /app; without setuid/setgid, owned by root.
	depsOp := g.Named(t, "copy the dependency tree to /app/.venv (root-owned, modes 0644/0755)")
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	if in, ok := g.Input(final, 0); !ok || in.Digest != depsOp.Digest {
		t.Error("the app's layer is not on top of the virtualenv's own")
	}
	assertNoCopy(t, final, "/deps/.venv")
	venv := findCopy(t, depsOp, "/deps/.venv")
	if from := copyInput(t, g, depsOp, "/deps/.venv"); venv.Dest != "/app/.venv" || from.Name != "compile bytecode in /deps" {
		t.Errorf("the virtualenv is copied to %s from %q, want /app/.venv from its compile", venv.Dest, from.Name)
	}
	cp := findCopy(t, final, "/hardened/out")
	if cp.Dest != "/app/" || !cp.DirCopyContents || cp.ModeStr != hllb.AppMode || cp.Owner.GetUser().GetByID() != 0 || venv.ModeStr != hllb.AppMode {
		t.Errorf("final copy = %s -> %s contents %v mode %q owner %v", cp.Src, cp.Dest, cp.DirCopyContents, cp.ModeStr, cp.Owner)
	}
	if base, ok := g.Input(depsOp, 0); !ok || !strings.Contains(base.Op.GetSource().GetIdentifier(), "distroless/python3-debian13") {
		t.Errorf("the final stage is not on distroless python3")
	}
	for _, o := range g.Execs() {
		for _, arg := range o.Op.GetExec().GetMeta().GetArgs() {
			if arg == "sh" || arg == "-c" {
				t.Errorf("%s runs a shell: %q", o.Name, o.Op.GetExec().GetMeta().GetArgs())
			}
		}
	}

	img := res.Image
	if !slices.Equal(img.Config.Entrypoint, []string{"/app/.venv/bin/python", "/app/server.py"}) {
		t.Errorf("entrypoint = %q", img.Config.Entrypoint)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", img.Config.User, img.Config.WorkingDir)
	}
	if img.Config.Labels[hllb.LabelBaseName] != "gcr.io/distroless/python3-debian13:nonroot" || img.Config.Labels[hllb.LabelBaseDigest] != staticDigest.String() {
		t.Errorf("base labels = %v", img.Config.Labels)
	}
}

func TestPythonPyproject(t *testing.T) {
	s := load(t, "language: python\nartifacts: [app]\n")
	files := hllb.Files{"pyproject.toml": []byte("[project]\nname = \"app\"\n")}
	res, g := convert(t, s, resolved(t, s, files, amd64))

	// pip install . builds the project, so it needs the source and follows it.
	install := g.Named(t, pipInstall+" .")
	assertCacheMount(t, install, "/root/.cache/pip", "hardened/python/pip")
	if !g.DependsOn(install, g.Named(t, "copy source").Digest) {
		t.Error("pip install . runs before the source is copied")
	}
	for _, o := range g.Ops {
		if strings.HasPrefix(o.Name, "copy requirements.txt") || strings.HasSuffix(o.Name, "-r requirements.txt") {
			t.Errorf("a project without requirements.txt has %q", o.Name)
		}
	}
	// A package directory first runs as a module.
	if ep := res.Image.Config.Entrypoint; !slices.Equal(ep, []string{"/app/.venv/bin/python", "-m", "app"}) {
		t.Errorf("entrypoint = %q", ep)
	}

	// Without requirements.txt or pyproject.toml there is nothing to install.
	s = load(t, "language: python\nartifacts: [src/tool/main.py]\n")
	res, g = convert(t, s, resolved(t, s, hllb.Files{}, amd64))
	for _, o := range g.Execs() {
		if strings.Contains(o.Name, "pip") && strings.Contains(o.Name, "install") {
			t.Errorf("an app without dependencies runs %q", o.Name)
		}
	}
	if ep := res.Image.Config.Entrypoint; !slices.Equal(ep, []string{"/app/.venv/bin/python", "/app/src/tool/main.py"}) {
		t.Errorf("entrypoint = %q", ep)
	}
}

func TestPythonWheelhouse(t *testing.T) {
	// Everything requirements.txt reads, and the wheelhouses of build.env, are copied before
	// the install; URLs are not (paths outside the context are refused: TestIncludesOutsideTheContext).
	s := load(t, "language: python\nartifacts: [app.py]\nbuild:\n  env:\n    PIP_FIND_LINKS: vendor/wheels https://example.invalid/simple\n    PIP_NO_INDEX: \"1\"\n")
	files := hllb.Files{"requirements.txt": []byte("--no-index\n-f ./wheels\t# local\n#-r commented-out.txt\n" +
		"-r requirements/base.txt\n--constraint constraints.txt\n-cother.txt\n" +
		"itsdangerous==2.2.0 --hash=sha256:20d7\n")}
	_, g := convert(t, s, resolved(t, s, files, amd64))
	want := []string{"requirements.txt", "wheels", "requirements/base.txt", "constraints.txt", "other.txt", "vendor/wheels"}
	manifest := g.Named(t, "copy "+strings.Join(want, ", "))
	if inc := findCopy(t, manifest, "/").IncludePatterns; !slices.Equal(inc, want) {
		t.Errorf("manifest copy includes %q, want %q", inc, want)
	}
	install := g.Named(t, pipInstall+" -r requirements.txt")
	if env := llbtest.Env(install); env["PIP_FIND_LINKS"] != "vendor/wheels https://example.invalid/simple" || env["PIP_NO_INDEX"] != "1" {
		t.Errorf("install env = %v: build.env must reach pip", env)
	}
}

func TestPythonVersion(t *testing.T) {
	lang, _ := registry.Lookup("python")
	for yaml, want := range map[string][2]string{
		``:                  {"docker.io/library/python:3.13-trixie", "gcr.io/distroless/python3-debian13:nonroot"},
		`version: "3.13"`:   {"docker.io/library/python:3.13-trixie", "gcr.io/distroless/python3-debian13:nonroot"},
		`version: "3.13.5"`: {"docker.io/library/python:3.13.5-trixie", "gcr.io/distroless/python3-debian13:nonroot"},
		// Debian 12's python3 is CPython 3.11, as before.
		`debian: "12"`:                        {"docker.io/library/python:3.11-bookworm", "gcr.io/distroless/python3-debian12:nonroot"},
		"debian: \"12\"\nversion: \"3.11.9\"": {"docker.io/library/python:3.11.9-bookworm", "gcr.io/distroless/python3-debian12:nonroot"},
	} {
		s := load(t, "language: python\nartifacts: [app.py]\n"+yaml+"\n")
		breq, err := lang.Builder(s, hllb.Files{}, amd64, amd64)
		if err != nil {
			t.Fatal(err)
		}
		base, ok, err := baseImage(s, hllb.Files{}, amd64)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if breq.Ref != want[0] || base.Ref != want[1] {
			t.Errorf("%q: builder %s base %s", yaml, breq.Ref, base.Ref)
		}
	}
}

func TestPythonSpecChecks(t *testing.T) {
	for yaml, want := range map[string]string{
		"language: python\nversion: \"3.12\"\nartifacts: [app.py]\n":                 `hardened.yaml:2:10: version: "3.12": distroless python3-debian13 runs CPython 3.13 only; write version: "3.13"`,
		"language: python\nversion: \"3\"\nartifacts: [app.py]\n":                    `hardened.yaml:2:10: version: "3": distroless python3-debian13 runs CPython 3.13 only`,
		"language: python\nversion: \"3.130\"\nartifacts: [app.py]\n":                `hardened.yaml:2:10: version: "3.130": distroless python3-debian13`,
		"language: python\nversion: \"3.13.x\"\nartifacts: [app.py]\n":               `hardened.yaml:2:10: version: "3.13.x": distroless python3-debian13`,
		"language: python\nversion: \"3.11\"\nartifacts: [app.py]\n":                 `hardened.yaml:2:10: version: "3.11": distroless python3-debian13 runs CPython 3.13 only; write version: "3.13"`,
		"language: python\ndebian: \"12\"\nversion: \"3.13\"\nartifacts: [app.py]\n": `hardened.yaml:3:10: version: "3.13": distroless python3-debian12 runs CPython 3.11 only; remove debian: "12" to build on Debian 13 (trixie), whose python3 is CPython 3.13`,
		"language: python\nartifacts: [\".\"]\n":                                     `hardened.yaml:2:13: artifacts[0]: "." is neither a .py script nor a package python -m can run`,
		"language: python\nartifacts: [app.py]\nbase: static\n":                      "hardened.yaml:3:7: base: language python does not use base; remove it",
		"language: python\nartifacts: [app.py]\ncgo: true\n":                         "hardened.yaml:3:6: cgo: language python does not use cgo; remove it",
		"language: python\nartifacts: [app.py]\nbuild:\n  script: x\n":               "hardened.yaml:4:11: build.script: language python does not use build.script; remove it",
	} {
		_, err := loadChecked(yaml)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", yaml, err, want)
		}
	}
	for _, ok := range []string{
		"language: python\nversion: \"3.13.4\"\nartifacts: [app.py, lib]\n",
		"language: python\nartifacts: [my_app/cli]\n",
		"language: python\nartifacts: [\".\"]\nentrypoint: [/app/.venv/bin/python, /app/main.py]\n",
	} {
		if _, err := loadChecked(ok); err != nil {
			t.Errorf("a valid python spec %q: %v", ok, err)
		}
	}

	// The builder refuses the version too, at its line, for callers that skip validation.
	lang, _ := registry.Lookup("python")
	s := load(t, "language: python\nversion: \"3.12\"\nartifacts: [app.py]\n")
	if _, err := lang.Builder(s, hllb.Files{}, amd64, amd64); err == nil || !strings.HasPrefix(err.Error(), `hardened.yaml:2:10: version: "3.12"`) {
		t.Errorf("builder error = %v", err)
	}
}

func TestPythonOtherLockFiles(t *testing.T) {
	lang, _ := registry.Lookup("python")
	s := load(t, "language: python\nartifacts: [app.py]\n")
	// Pipfile.lock is installed from (lang/python's lock tests): one that does not parse fails at the language line.
	files := hllb.Files{"Pipfile.lock": []byte("x"), "pyproject.toml": []byte("[project]\n")}
	_, err := lang.Builder(s, files, amd64, amd64)
	if want := "hardened.yaml:1:11: language: Pipfile.lock does not parse"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want prefix %q", err, want)
	}
	// Exported next to it, requirements.txt is what pip installs.
	files["requirements.txt"] = []byte("itsdangerous==2.2.0\n")
	if _, err := lang.Builder(s, files, amd64, amd64); err != nil {
		t.Errorf("with requirements.txt: %v", err)
	}
}
