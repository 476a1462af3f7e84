package python

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

func pySpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte("language: python\nartifacts: [greeter]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func projectFiles(t *testing.T, dir string) llb.Files {
	t.Helper()
	files := llb.Files{}
	for _, f := range []string{"pyproject.toml", "uv.lock", "poetry.lock", "requirements.txt"} {
		if data, err := os.ReadFile(filepath.Join("testdata", dir, f)); err == nil {
			files[f] = data
		}
	}
	return files
}

// The uv project of testdata: its dependencies, the extra it asks for and the transitive one,
// each pinned with the hash of its wheel; the Windows-only one under its marker; never the dev group.
func TestUVLockRequirements(t *testing.T) {
	plan, err := readLock(pySpec(t), projectFiles(t, "uvapp"))
	if err != nil {
		t.Fatal(err)
	}
	want := `# uv.lock, as pinned and hashed there; written by the hardened frontend for pip --require-hashes --no-deps.
--find-links wheels
--no-index
greeting==1.0.0 \
    --hash=sha256:a2f25cb8c792044f42f30b75b3600b1c70cbc80442efe5361bbb6aa44ed37061
shout==0.3.0 \
    --hash=sha256:3cc699133e59073e9cdfbb11dd1e005312e2f04b2d5aba9d61df103e63b5a10a
winonly==1.0.0 ; sys_platform == 'win32' \
    --hash=sha256:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f
words==2.1.0 \
    --hash=sha256:648e63fd9c692a5805c90d1ba7b48715e8f130c51ec600c8af33443bde744732
`
	if got := string(plan.reqs); got != want {
		t.Errorf("requirements:\n%s\nwant:\n%s", got, want)
	}
	if plan.installRoot {
		t.Error("a virtual project (no build system) is installed")
	}
}

// The lock's hashes are those of the wheels beside it, so the e2e build checks real files.
func TestUVLockHashesAreTheWheels(t *testing.T) {
	var lock uvLockFile
	if _, err := toml.DecodeFile("testdata/uvapp/uv.lock", &lock); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range lock.Package {
		for _, w := range p.Wheels {
			data, err := os.ReadFile(filepath.Join("testdata/uvapp", p.Source.Registry, w.Path))
			if os.IsNotExist(err) {
				continue // winonly and devtool: locked, never installed here
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if got := "sha256:" + hex.EncodeToString(sum[:]); got != w.Hash {
				t.Errorf("%s: the lock says %s, the file is %s", w.Path, w.Hash, got)
			}
			checked++
		}
	}
	if checked != 3 {
		t.Errorf("checked %d wheels, want 3", checked)
	}
}

const uvHead = "version = 1\nrevision = 2\n\n"

func uvPkg(name, version, source, rest string) string {
	return "[[package]]\nname = \"" + name + "\"\nversion = \"" + version + "\"\nsource = " + source + "\n" + rest + "\n"
}

const pypi = `{ registry = "https://pypi.org/simple" }`

func wheel(name string) string {
	return "wheels = [{ url = \"https://files.example/" + name + "-py3-none-any.whl\", hash = \"sha256:" + strings.Repeat("a", 64) + "\" }]\n"
}

// Markers combine along the paths to a package: and along one path, or across paths, and none
// once one path needs none; an extra's dependencies come with the extra alone.
func TestUVLockMarkers(t *testing.T) {
	lock := uvHead +
		uvPkg("app", "1.0", `{ editable = "." }`, `dependencies = [
    { name = "a", marker = "sys_platform == 'linux'" },
    { name = "b", marker = "python_full_version < '3.14'" },
    { name = "c", extra = ["fast"] },
]`) +
		uvPkg("a", "1", pypi, "dependencies = [{ name = \"shared\", marker = \"platform_machine == 'x86_64'\" }, { name = \"always\" }]\n"+wheel("a")) +
		uvPkg("b", "1", pypi, "dependencies = [{ name = \"shared\" }, { name = \"always\" }]\n"+wheel("b")) +
		uvPkg("c", "1", pypi, wheel("c")+"[package.optional-dependencies]\nfast = [{ name = \"speedup\" }]\nslow = [{ name = \"never\" }]\n") +
		uvPkg("shared", "1", pypi, wheel("shared")) +
		uvPkg("always", "1", pypi, "dependencies = [{ name = \"always-dep\" }]\n"+wheel("always")) +
		uvPkg("always-dep", "1", pypi, "dependencies = [{ name = \"always\" }]\n"+wheel("always-dep")) +
		uvPkg("speedup", "1", pypi, wheel("speedup")) +
		uvPkg("never", "1", pypi, wheel("never"))
	plan, err := readLock(pySpec(t), llb.Files{"uv.lock": []byte(lock), "pyproject.toml": []byte("[project]\nname = \"app\"\n")})
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(string(plan.reqs), "\n") {
		if name, rest, ok := strings.Cut(l, "=="); ok {
			lines[name] = rest
		}
	}
	for name, want := range map[string]string{
		"a":          "1 ; sys_platform == 'linux' \\",
		"b":          "1 ; python_full_version < '3.14' \\",
		"c":          "1 \\",
		"speedup":    "1 \\",
		"shared":     "1 ; ((platform_machine == 'x86_64') and (sys_platform == 'linux')) or (python_full_version < '3.14') \\",
		"always":     "1 ; (python_full_version < '3.14') or (sys_platform == 'linux') \\",
		"always-dep": "1 ; (python_full_version < '3.14') or (sys_platform == 'linux') \\",
	} {
		if got := lines[name]; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if _, ok := lines["never"]; ok {
		t.Error("the dependency of an extra nobody asked for is installed")
	}
	if _, ok := lines["app"]; ok || !plan.installRoot || plan.noIndex || len(plan.findLinks) > 0 {
		t.Errorf("the project is a requirement, or not installed itself, or PyPI is not the index: %+v", plan)
	}
}

// Every lock pip cannot honour exactly fails at the language line, saying what and what to do.
func TestLockErrors(t *testing.T) {
	app := uvPkg("app", "1.0", `{ virtual = "." }`, `dependencies = [{ name = "dep" }]`)
	for name, c := range map[string]struct {
		files llb.Files
		want  string
	}{
		"git": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ git = "https://git.example/dep?rev=abc#abc" }`, ""))},
			"uv.lock: dep comes from git (https://git.example/dep?rev=abc#abc), which pip --require-hashes cannot check against a hash; publish it"},
		"path": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ directory = "libs/dep" }`, ""))},
			"uv.lock: dep comes from the local path libs/dep, which pip --require-hashes cannot check against a hash; build it into a wheel"},
		"no hash": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ registry = "https://idx.example/simple" }`, `wheels = [{ url = "https://idx.example/dep-1-py3-none-any.whl" }]`))},
			"uv.lock: dep 1 has no hash for dep-1-py3-none-any.whl; lock again"},
		"no file": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", pypi, ""))},
			"uv.lock: dep 1 lists no file to install"},
		"credentials": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ registry = "https://u:p@idx.example/simple" }`, wheel("dep")))},
			"uv.lock names an index with credentials in its URL; keep the credentials out"},
		"unknown dep": {llb.Files{"uv.lock": []byte(uvHead + app)},
			"uv.lock: app 1.0 depends on dep, which the lock has no single package for"},
		"no root": {llb.Files{"uv.lock": []byte(uvHead + uvPkg("dep", "1", pypi, wheel("dep")))},
			`uv.lock has no package for the project itself (source = { editable = "." } or { virtual = "." }) and 0 workspace members no other depends on (); build from the directory`},
		"workspace of two apps": {llb.Files{"uv.lock": []byte(uvHead + uvPkg("api", "1", `{ editable = "api" }`, "") + uvPkg("worker", "1", `{ editable = "worker" }`, ""))},
			"uv.lock has no package for the project itself (source = { editable = \".\" } or { virtual = \".\" }) and 2 workspace members no other depends on (api, worker)"},
		"workspace library": {llb.Files{"uv.lock": []byte(uvHead + uvPkg("api", "1", `{ editable = "api" }`, `dependencies = [{ name = "lib" }]`) + uvPkg("lib", "1", `{ editable = "libs/lib" }`, ""))},
			"uv.lock: lib comes from the local path libs/lib, which pip --require-hashes cannot check against a hash"},
		"uv parse": {llb.Files{"uv.lock": []byte("[[package]\n")},
			"uv.lock does not parse: "},
		"poetry git": {llb.Files{"poetry.lock": []byte("[[package]]\nname = \"dep\"\nversion = \"1\"\ngroups = [\"main\"]\nfiles = []\n[package.source]\ntype = \"git\"\nurl = \"https://git.example/dep\"\n")},
			"poetry.lock: dep comes from a git source (https://git.example/dep), which pip --require-hashes cannot check against a hash"},
		"poetry no hash": {llb.Files{"poetry.lock": []byte("[[package]]\nname = \"dep\"\nversion = \"1\"\ngroups = [\"main\"]\nfiles = [{file = \"dep-1.tar.gz\"}]\n")},
			"poetry.lock: dep 1 has no hash for dep-1.tar.gz"},
		"poetry two versions": {llb.Files{"poetry.lock": []byte("[[package]]\nname = \"dep\"\nversion = \"1\"\n[[package]]\nname = \"dep\"\nversion = \"2\"\n")},
			"poetry.lock locks two versions of dep; lock again with Poetry 2"},
		// Hostile values: nothing the lock says may turn into another line or option of the file pip reads.
		"marker with a line break": {llb.Files{"uv.lock": []byte(uvHead + uvPkg("app", "1.0", `{ virtual = "." }`, `dependencies = [{ name = "dep", marker = "os_name == 'posix'\n-r /run/secrets/netrc" }]`) + uvPkg("dep", "1", pypi, wheel("dep")))},
			`uv.lock: dep "os_name == 'posix'\n-r /run/secrets/netrc" is not a marker pip can be given`},
		"version with an option": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1 --index-url=https://evil.example", pypi, wheel("dep")))},
			`uv.lock: dep "1 --index-url=https://evil.example" is not a version pip can be given`},
		"hash not a hash": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", pypi, `wheels = [{ url = "https://x.example/dep.whl", hash = "sha256:ab -r x" }]`))},
			`uv.lock: dep "sha256:ab -r x" is not a hash pip can be given`},
		"file url": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ url = "file:///run/secrets/netrc" }`, `wheels = [{ url = "file:///run/secrets/netrc", hash = "sha256:ab" }]`))},
			`uv.lock: dep "file:///run/secrets/netrc" is not a URL pip can be given`},
		"wheelhouse outside": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ registry = "/run/secrets" }`, `wheels = [{ path = "dep.whl", hash = "sha256:ab" }]`))},
			`uv.lock names the wheelhouse "/run/secrets", outside the build context`},
		"index not http": {llb.Files{"uv.lock": []byte(uvHead + app + uvPkg("dep", "1", `{ registry = "ftp://idx.example/simple" }`, wheel("dep")))},
			`uv.lock names the index "ftp://idx.example/simple", which is not an http(s) URL`},
		"project outside": {llb.Files{"uv.lock": []byte(uvHead + uvPkg("app", "1", `{ editable = "../other" }`, ""))},
			"uv.lock: the project app is at ../other, outside the build context"},
	} {
		_, err := readLock(pySpec(t), c.files)
		if want := "hardened.yaml:1:11: language: " + c.want; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error = %v\nwant prefix %q", name, err, want)
		}
	}
	// requirements.txt, exported from the lock or kept beside it, is what pip installs.
	if plan, err := readLock(pySpec(t), llb.Files{"uv.lock": []byte("x"), "requirements.txt": nil}); plan != nil || err != nil {
		t.Errorf("with requirements.txt: %v %v", plan, err)
	}
}

// Poetry 2's lock says which packages the main group installs and under what marker.
func TestPoetryLockGroups(t *testing.T) {
	lock := `
[[package]]
name = "fastapi"
version = "0.115.0"
groups = ["main"]
files = [{file = "fastapi-0.115.0-py3-none-any.whl", hash = "sha256:1111"}, {file = "fastapi-0.115.0.tar.gz", hash = "sha256:2222"}]

[[package]]
name = "colorama"
version = "0.4.6"
groups = ["main", "dev"]
markers = {main = "sys_platform == \"win32\"", dev = "platform_system == \"Windows\""}
files = [{file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:3333"}]

[[package]]
name = "pytest"
version = "8.3.0"
groups = ["dev"]
files = [{file = "pytest-8.3.0-py3-none-any.whl", hash = "sha256:4444"}]

[[package]]
name = "private-lib"
version = "2.0"
groups = ["main"]
markers = "python_version >= \"3.12\""
files = [{file = "private_lib-2.0-py3-none-any.whl", hash = "sha256:5555"}]

[package.source]
type = "legacy"
url = "https://pypi.corp.example/simple"
reference = "corp"

[metadata]
lock-version = "2.1"
`
	pyproject := "[project]\nname = \"svc\"\n[build-system]\nrequires = [\"poetry-core>=2\"]\nbuild-backend = \"poetry.core.masonry.api\"\n"
	plan, err := readLock(pySpec(t), llb.Files{"poetry.lock": []byte(lock), "pyproject.toml": []byte(pyproject)})
	if err != nil {
		t.Fatal(err)
	}
	want := `# poetry.lock, as pinned and hashed there; written by the hardened frontend for pip --require-hashes --no-deps.
--extra-index-url https://pypi.corp.example/simple
colorama==0.4.6 ; sys_platform == "win32" \
    --hash=sha256:3333
fastapi==0.115.0 \
    --hash=sha256:1111 \
    --hash=sha256:2222
private-lib==2.0 ; python_version >= "3.12" \
    --hash=sha256:5555
`
	if got := string(plan.reqs); got != want {
		t.Errorf("requirements:\n%s\nwant:\n%s", got, want)
	}
	if !plan.installRoot {
		t.Error("a project with a build backend is not installed")
	}
}

// An older lock has no groups: the walk starts at pyproject's dependencies, follows extras and
// markers (an extra's from the optional dependency, as Poetry writes them), and leaves optional
// and dev dependencies out.
func TestPoetryLockWalk(t *testing.T) {
	lock := `
[[package]]
name = "uvicorn"
version = "0.30.0"
optional = false
files = [{file = "uvicorn-0.30.0-py3-none-any.whl", hash = "sha256:aaaa"}]
[package.dependencies]
h11 = ">=0.8"
colorama = {version = ">=0.4", markers = "sys_platform == \"win32\""}
httptools = {version = ">=0.5.0", optional = true}
uvloop = {version = ">=0.14.0", optional = true, markers = "sys_platform != \"win32\" and extra == \"standard\""}
[package.extras]
standard = ["httptools (>=0.5.0)", "uvloop (>=0.14.0)"]

[[package]]
name = "h11"
version = "0.14.0"
files = [{file = "h11-0.14.0-py3-none-any.whl", hash = "sha256:bbbb"}]

[[package]]
name = "colorama"
version = "0.4.6"
files = [{file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:cccc"}]

[[package]]
name = "httptools"
version = "0.6.1"
files = [{file = "httptools-0.6.1.tar.gz", hash = "sha256:dddd"}]

[[package]]
name = "uvloop"
version = "0.19.0"
files = [{file = "uvloop-0.19.0.tar.gz", hash = "sha256:eeee"}]

[[package]]
name = "pytest"
version = "8.0.0"
files = [{file = "pytest-8.0.0-py3-none-any.whl", hash = "sha256:ffff"}]

[metadata]
lock-version = "2.0"
`
	pyproject := `[tool.poetry]
name = "svc"
package-mode = false
[tool.poetry.dependencies]
python = "^3.12"
uvicorn = {version = "^0.30", extras = ["standard"]}
[tool.poetry.group.dev.dependencies]
pytest = "^8"
`
	plan, err := readLock(pySpec(t), llb.Files{"poetry.lock": []byte(lock), "pyproject.toml": []byte(pyproject)})
	if err != nil {
		t.Fatal(err)
	}
	got := string(plan.reqs)
	for _, want := range []string{"\nuvicorn==0.30.0 \\\n", "\nh11==0.14.0 \\\n", "\ncolorama==0.4.6 ; sys_platform == \"win32\" \\\n",
		"\nhttptools==0.6.1 \\\n", "\nuvloop==0.19.0 ; sys_platform != \"win32\" \\\n    --hash=sha256:eeee\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("requirements lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pytest") || plan.installRoot {
		t.Errorf("a dev dependency is installed, or a package-mode = false project:\n%s", got)
	}
}

// The Poetry project of testdata: the main group with its extra's package, not the dev group;
// every package from PyPI as far as the lock says (the wheelhouse is the spec's build.env).
func TestPoetryLockTestdata(t *testing.T) {
	plan, err := readLock(pySpec(t), projectFiles(t, "poetryapp"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(plan.reqs)
	for _, want := range []string{"\ngreeting==1.0.0 \\\n", "\nshout==0.3.0 \\\n", "\nwords==2.1.0 \\\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("requirements lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "devtool") || strings.Contains(got, "--find-links") || strings.Contains(got, "--no-index") || plan.installRoot {
		t.Errorf("dev group, index options or the project (package-mode = false) in:\n%s", got)
	}
}

// A uv workspace whose root is no project (its pyproject.toml has no [project]) builds the one
// member no other depends on, installed from its directory.
func TestUVLockWorkspaceMember(t *testing.T) {
	lock := uvHead + uvPkg("api", "1.0", `{ editable = "backend" }`, `dependencies = [{ name = "dep" }]`) + uvPkg("dep", "1", pypi, wheel("dep"))
	files := llb.Files{"uv.lock": []byte(lock), "pyproject.toml": []byte("[tool.uv.workspace]\nmembers = [\"backend\"]\n")}
	plan, err := readLock(pySpec(t), files)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.installRoot || plan.rootDir != "backend" || !strings.Contains(string(plan.reqs), "\ndep==1 \\\n") {
		t.Errorf("plan %+v\n%s", plan, plan.reqs)
	}
	buildGraph(t, files).Named(t, "python3 -m pip --python /venv/bin/python install --no-compile --no-deps --root /hardened/project ./backend")
}
