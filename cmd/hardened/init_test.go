package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// tree writes files (path -> content) under a new temp dir.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const mainGo = "package main\n\nfunc main() {}\n"

func TestInit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		code     int
		spec     []string // lines the written spec holds
		stderr   []string
		notWrite bool
	}{
		{"go prefers cmd", map[string]string{
			"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo,
			"cmd/server/main.go": mainGo, "cmd/migrate/main.go": mainGo, "cmd/migrate/migrate_test.go": "package main\n",
			"internal/lib/lib.go": "package lib\n", "tools/gen.go": "//go:build ignore\n\npackage main\n",
			"testdata/main.go": mainGo, "vendor/a/main.go": mainGo, "sub/go.mod": "module y\n", "sub/main.go": mainGo,
		}, 0, []string{"language: go\n", "artifacts: [./cmd/migrate, ./cmd/server]\n", "# The first artifact is the entrypoint"}, nil, false},
		{"go root main", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo, "lib/lib.go": "package lib\n"},
			0, []string{"artifacts: [.]\n"}, nil, false},
		{"go without cmd takes every main, one per name", map[string]string{
			"go.mod": "module x\n\ngo 1.26\n", "a/server/main.go": mainGo, "b/server/main.go": mainGo, "tool/main.go": mainGo,
		}, 0, []string{"artifacts: [./a/server, ./tool]\n"}, []string{"left out ./b/server: it would be /app/server, as ./a/server is"}, false},
		{"go with a driver that needs cgo", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo,
			"db/db.go": "package db\n\nimport _ \"github.com/mattn/go-sqlite3\"\n"},
			0, []string{"artifacts: [.]\n", "# ./db imports github.com/mattn/go-sqlite3, which works only with cgo.\n# It bundles", "\ncgo: true\n"}, nil, false},
		{"go with cgo files", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo,
			"native/n.go": "package native\n\n// #include <stdlib.h>\nimport \"C\"\n"},
			0, []string{"# ./native has cgo files (n.go).\n# Add the Debian packages", "\ncgo: true\n"}, nil, false},
		{"go without a main", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "lib.go": "package x\n"},
			1, nil, []string{"no main package"}, true},
		{"go.mod without a go line", map[string]string{"go.mod": "module x\n", "main.go": mainGo},
			0, []string{"artifacts: [.]\n"}, []string{"the build will fail until this is fixed", "no go or toolchain line"}, false},
		{"node start script", map[string]string{
			"package.json":      `{"main": "lib/index.js", "scripts": {"start": "node --enable-source-maps server.js"}, "engines": {"node": ">=20"}}`,
			"package-lock.json": "{}", "server.js": "", "lib/index.js": "",
		}, 0, []string{"language: node\n", "artifacts: [server.js, lib]\n", "(the start script)"}, nil, false},
		{"node main, no engines, no lock", map[string]string{"package.json": `{"main": "./app.js"}`, "app.js": ""},
			0, []string{"artifacts: [app.js]\n", `version: "24"`, "# package.json has no engines.node"},
			[]string{"no package-lock.json"}, false},
		{"node build script", map[string]string{
			"package.json":      `{"main": "dist/server.js", "scripts": {"build": "tsc"}, "engines": {"node": "22"}}`,
			"package-lock.json": "{}",
		}, 0, []string{"artifacts: [dist/server.js, dist]\n", "build:\n  script: build\n"}, nil, false},
		{"node without entry", map[string]string{"package.json": `{"scripts": {"start": "next start"}}`},
			1, nil, []string{"no entry point"}, true},
		{"go and node", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo, "package.json": `{"main": "a.js"}`, "a.js": ""},
			0, []string{"language: go\n"}, []string{"also detected node (package.json); using go"}, false},
		{"node other scripts and directories", map[string]string{
			"package.json": `{"main": "src/index.js", "engines": {"node": "22"}}`, "package-lock.json": "{}",
			"src/index.js": "", "routes/api/users.js": "", "views/page.html": "", "worker.mjs": "", "jest.config.js": "",
			"test/a.test.js": "", "node_modules/x/index.js": "", ".eslintrc.js": "",
		}, 0, []string{"artifacts: [src/index.js, src, routes, worker.mjs, views]\n"}, nil, false},
		{"python __main__ package", map[string]string{
			"pyproject.toml":   "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n",
			"requirements.txt": "", "myapp/__init__.py": "", "myapp/__main__.py": "", "util.py": "",
			"tests/test_x.py": "", "setup.py": "", "test_util.py": "", "wheels/a.whl": "",
		}, 0, []string{"language: python\n", `version: "3.13"`, "# distroless python3-debian13 is CPython 3.13",
			"artifacts: [myapp, util.py]\n", "myapp is what python runs (myapp/__main__.py: python -m myapp)"}, nil, false},
		{"python scripts, the first wins", map[string]string{
			"requirements.txt": "flask\n", "main.py": "", "app.py": "", "pkg/__init__.py": "",
		}, 0, []string{"artifacts: [main.py, pkg, app.py]\n"}, []string{"app.py could start the app too"}, false},
		{"python project.scripts", map[string]string{
			"pyproject.toml":     "[project]\nname = \"webapp\"\n\n[project.scripts]\nserve = \"webapp.cli:main\"  # the server\n",
			"webapp/__init__.py": "", "webapp/cli.py": "",
		}, 0, []string{"artifacts: [webapp]\n", `entrypoint: [/app/.venv/bin/python, "-c", "import sys; from webapp.cli import main; sys.exit(main())"]`,
			"# webapp holds what the entrypoint runs. Add", "# Runs [project.scripts] serve = \"webapp.cli:main\", as its console script would.\nentrypoint:"}, nil, false},
		{"python src layout installed by pip", map[string]string{
			"pyproject.toml": "[project]\nname = \"tool\"\n[project.scripts]\ntool = 'tool.main:run'\n", "src/tool/__init__.py": "", "src/tool/main.py": "",
		}, 0, []string{"artifacts: [src/tool]\n", `"import sys; from tool.main import run; sys.exit(run())"`}, nil, false},
		{"python requires-python without 3.13", map[string]string{
			"pyproject.toml": "[project]\nrequires-python = \">=3.14\"\n", "main.py": "",
		}, 0, []string{"artifacts: [main.py]\n"}, []string{`requires-python ">=3.14" excludes CPython 3.13`}, false},
		{"python uv.lock", map[string]string{"pyproject.toml": "[project]\n", "uv.lock": "", "app.py": ""},
			0, []string{"artifacts: [app.py]\n"}, []string{"the build will fail until this is fixed", "uv export"}, false},
		{"python nothing to run", map[string]string{"requirements.txt": "", "lib.py": ""}, 1, nil,
			[]string{"python: requirements.txt found, but nothing to run"}, true},
		{"java javac main class", map[string]string{
			"src/main/java/com/acme/Tool.java": "class Tool { public static void main(String[] a) {} }",
			"src/main/java/com/acme/App.java":  "public final class App {\n  static public void main(String... a) {}\n}",
			"src/main/java/com/acme/Lib.java":  "class Lib { /* public static void main( */ // public static void main(\n}",
		}, 0, []string{"language: java\n", `version: "21"`, "# Nothing in the project says which Java",
			"artifacts: [src/main/java/com/acme/App.java]\n", "jar makes /app/App.jar"},
			[]string{"src/main/java/com/acme/Tool.java has a main method too"}, false},
		{"java .java-version", map[string]string{
			".java-version": "temurin-21.0.2\n", "src/main/java/Main.java": "class Main { public static void main(String[] a) {} }",
		}, 0, []string{`version: "21"`, "# From .java-version", "artifacts: [src/main/java/Main.java]\n"}, nil, false},
		{"java maven", map[string]string{"pom.xml": `<project>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.2.0</version></parent>
  <!-- <artifactId>old</artifactId> -->
  <artifactId>demo</artifactId>
  <version>0.0.1-SNAPSHOT</version>
  <properties><java.version>17</java.version></properties>
  <dependencies><dependency><artifactId>spring-boot-starter-web</artifactId><version>1</version></dependency></dependencies>
  <build><plugins><plugin><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build>
</project>`}, 0, []string{"artifacts: [target/demo-0.0.1-SNAPSHOT.jar]\n", "artifactId demo, version 0.0.1-SNAPSHOT",
			"# No version line: the build takes maven:3-eclipse-temurin-17-noble from pom.xml.\nlanguage: java\n"}, nil, false},
		{"java maven finalName without a version", map[string]string{"pom.xml": `<project><artifactId>svc</artifactId><version>2</version>
  <build><finalName>${project.artifactId}-app</finalName></build></project>`},
			0, []string{"artifacts: [target/svc-app.jar]\n", `version: "21"`, "build.finalName"}, []string{"pom.xml sets no main class"}, false},
		{"java maven aggregator", map[string]string{"pom.xml": "<project><artifactId>all</artifactId><packaging>pom</packaging></project>"},
			1, nil, []string{"aggregator"}, true},
		{"java gradle", map[string]string{
			"settings.gradle.kts": `rootProject.name = "api"` + "\n",
			"build.gradle.kts": "plugins { application }\nversion = \"1.2.0\"\njava { toolchain { languageVersion = JavaLanguageVersion.of(21) } }\n" +
				"tasks.jar { manifest { attributes(\"Main-Class\" to \"api.Main\") } }\n",
		}, 0, []string{"artifacts: [build/libs/api-1.2.0.jar]\n", "settings.gradle.kts's rootProject.name, version 1.2.0",
			"the build takes gradle:jdk21-noble from build.gradle.kts"}, nil, false},
		{"java pom.xml and build.gradle", map[string]string{"pom.xml": "<project/>", "build.gradle": ""}, 1, nil, []string{"both pom.xml and build.gradle"}, true},
		{"java without a main", map[string]string{"src/main/java/a/Lib.java": "class Lib {}"}, 1, nil, []string{"no class in it has public static void main"}, true},
		{"rust package", map[string]string{
			"Cargo.toml": "[package]\nname = \"my-svc\"\nrust-version = \"1.70.1\"\n", "Cargo.lock": "", "src/main.rs": "",
		}, 0, []string{"language: rust\n", "artifacts: [my-svc]\n", "(my-svc: the package of src/main.rs)",
			"# No version line: the build takes rust:1-trixie from the newest stable release\n# (Cargo.toml's rust-version is only the oldest Rust the package accepts).\nlanguage: rust\n"}, nil, false},
		{"rust binaries, no version", map[string]string{
			"Cargo.toml": "[package]\nname = \"x\"\n\n[[bin]]\nname = \"api\"\npath = \"src/api.rs\"\n\n[[bin]]\nname = \"extra\"\nrequired-features = [\"f\"]\n",
			"Cargo.lock": "", "src/main.rs": "", "src/api.rs": "", "src/bin/worker.rs": "", "src/bin/tool/main.rs": "",
		}, 0, []string{"artifacts: [x, api, tool, worker]\n", "# No version line: the build takes rust:1-trixie from the newest stable", "The first is the entrypoint"},
			[]string{"left out binary extra"}, false},
		{"rust toolchain file", map[string]string{
			"Cargo.toml": "[package]\nname = \"t\"\n", "rust-toolchain.toml": "[toolchain]\nchannel = \"1.79.0\"\n", "Cargo.lock": "", "src/main.rs": "",
		}, 0, []string{"the build takes rust:1.79.0-trixie from rust-toolchain.toml"}, nil, false},
		{"rust workspace", map[string]string{
			"Cargo.toml":            "[workspace]\nmembers = [\n  \"crates/*\",\n]\n\n[workspace.package]\nrust-version = \"1.75\"\n",
			"Cargo.lock":            "",
			"crates/cli/Cargo.toml": "[package]\nname = \"cli\"\n", "crates/cli/src/main.rs": "",
			"crates/core/Cargo.toml": "[package]\nname = \"core\"\n", "crates/core/src/lib.rs": "",
		}, 0, []string{"artifacts: [cli]\n", "of member crates/cli", "rust:1-trixie from the newest stable release"}, nil, false},
		{"rust without Cargo.lock", map[string]string{"Cargo.toml": "[package]\nname = \"t\"\nrust-version = \"1.63\"\n", "src/main.rs": ""},
			0, []string{"artifacts: [t]\n"}, []string{"the build will fail until this is fixed", "no Cargo.lock"}, false},
		{"rust library", map[string]string{"Cargo.toml": "[package]\nname = \"lib\"\n", "src/lib.rs": ""}, 1, nil, []string{"no binary"}, true},
		{"node and an unusable python", map[string]string{"package.json": `{"main": "a.js", "engines": {"node": "22"}}`, "a.js": "", "requirements.txt": ""},
			0, []string{"language: node\n"}, []string{"also: python: requirements.txt found, but nothing to run"}, false},
		{"nothing", map[string]string{"README": ""}, 1, nil, []string{"no go.mod, package.json", "language: static"}, true},
		{"existing spec", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo, "hardened.yaml": "keep"},
			1, nil, []string{"exists; pass --force"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, tc.files)
			var stdout, stderr bytes.Buffer
			code := runInit([]string{dir}, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			data, err := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
			if tc.notWrite {
				if err == nil && string(data) != tc.files["hardened.yaml"] {
					t.Errorf("wrote a spec:\n%s", data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# syntax=ghcr.io/hardenedbuild/hardened:1\n# yaml-language-server: $schema=") {
				t.Errorf("the spec does not start with the syntax and schema lines:\n%s", data)
			}
			for _, want := range tc.spec {
				if !strings.Contains(string(data), want) {
					t.Errorf("spec lacks %q:\n%s", want, data)
				}
			}
			if _, err := spec.Load("hardened.yaml", data, registry.SpecOptions()...); err != nil {
				t.Errorf("the written spec does not load: %v\n%s", err, data)
			}
			if !strings.Contains(stdout.String(), "wrote ") {
				t.Errorf("stdout: %s", stdout.String())
			}
		})
	}
}

func TestInitForce(t *testing.T) {
	dir := tree(t, map[string]string{"go.mod": "module x\n\ngo 1.26\n", "cmd/a/main.go": mainGo, "hardened.yaml": "old"})
	var stdout, stderr bytes.Buffer
	if code := runInit([]string{"--force", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, _ := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
	if !strings.Contains(string(data), "artifacts: [./cmd/a]") {
		t.Errorf("--force did not overwrite:\n%s", data)
	}
	if code := runInit([]string{dir, "extra"}, &stdout, &stderr); code != 2 {
		t.Errorf("two directories: exit %d, want 2", code)
	}
}

func TestInitExampleGo(t *testing.T) {
	// The example's own layout gives the example's language and artifacts.
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "cmd/server/main.go"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "go", f))
		if err != nil {
			t.Fatal(err)
		}
		full := filepath.Join(dir, f)
		_ = os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := runInit([]string{dir}, &stdout, &stderr); code != 0 || stderr.Len() > 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, _ := os.ReadFile(filepath.Join(dir, "hardened.yaml"))
	// No port it can be sure of (the server reads ADDR), so the test is a template with the route it found.
	want := "# syntax=ghcr.io/hardenedbuild/hardened:1\n# yaml-language-server: $schema=" + schemaURL + "\nlanguage: go\nartifacts: [./cmd/server]\n" +
		"# The build can start the image as a restricted pod would and fail unless it works: write the port\n" +
		"# the app listens on and a path that answers 2xx (or run: [\"--version\"] for a command that exits).\n" +
		"# The path is from cmd/server/main.go.\n# test:\n#   http: {port: 8080, path: /healthz}\n"
	if string(data) != want {
		t.Errorf("spec =\n%s\nwant\n%s", data, want)
	}
}

// copyExample copies examples/NAME to a temp dir without its hardened.yaml.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "examples", name)
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "hardened.yaml" {
			return nil
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestInitExamples: on each example's own files, init writes the language, artifacts and
// entrypoint of the example's hardened.yaml, and a spec that builds with the same builder
// image (so the same version, whether written or read from the project's files).
func TestInitExamples(t *testing.T) {
	for _, name := range []string{"go", "node", "python", "java", "rust"} {
		t.Run(name, func(t *testing.T) {
			dir := copyExample(t, name)
			var stdout, stderr bytes.Buffer
			if code := runInit([]string{dir}, &stdout, &stderr); code != 0 || stderr.Len() > 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got := loadFile(t, filepath.Join(dir, "hardened.yaml"))
			want := loadFile(t, filepath.Join("..", "..", "examples", name, "hardened.yaml"))
			if got.Language != want.Language || !slices.Equal(got.Artifacts, want.Artifacts) || !slices.Equal(got.Entrypoint, want.Entrypoint) {
				t.Errorf("init wrote language %s, artifacts %q, entrypoint %q; the example has %s, %q, %q",
					got.Language, got.Artifacts, got.Entrypoint, want.Language, want.Artifacts, want.Entrypoint)
			}
			if g, w := builderRef(t, got, dir), builderRef(t, want, dir); g != w {
				t.Errorf("builder %s, the example's %s", g, w)
			}
		})
	}
}

func loadFile(t *testing.T, name string) *spec.Spec {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(name, data, registry.SpecOptions()...)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return s
}

func builderRef(t *testing.T, s *spec.Spec, dir string) string {
	t.Helper()
	lang, _ := registry.Lookup(s.Language)
	files, err := dockerfile.ReadContextFiles(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	req, err := lang.Builder(s, files, p, p)
	if err != nil {
		t.Fatal(err)
	}
	return req.Ref
}
