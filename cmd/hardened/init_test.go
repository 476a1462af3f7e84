package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
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
		{"go without a main", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "lib.go": "package x\n"},
			1, nil, []string{"no main package"}, true},
		{"go.mod without a go line", map[string]string{"go.mod": "module x\n", "main.go": mainGo},
			0, []string{"artifacts: [.]\n"}, []string{"the build will fail until this is fixed", "no go or toolchain line"}, false},
		{"node start script", map[string]string{
			"package.json":      `{"main": "lib/index.js", "scripts": {"start": "node --enable-source-maps server.js"}, "engines": {"node": ">=20"}}`,
			"package-lock.json": "{}", "server.js": "", "lib/index.js": "",
		}, 0, []string{"language: node\n", "artifacts: [server.js]\n"}, nil, false},
		{"node main, no engines, no lock", map[string]string{"package.json": `{"main": "./app.js"}`, "app.js": ""},
			0, []string{"artifacts: [app.js]\n", `version: "22"`, "# package.json has no engines.node"},
			[]string{"no package-lock.json"}, false},
		{"node build script", map[string]string{
			"package.json":      `{"main": "dist/server.js", "scripts": {"build": "tsc"}, "engines": {"node": "20"}}`,
			"package-lock.json": "{}",
		}, 0, []string{"artifacts: [dist/server.js]\n", "build:\n  script: build\n"}, nil, false},
		{"node without entry", map[string]string{"package.json": `{"scripts": {"start": "next start"}}`},
			1, nil, []string{"no entry point"}, true},
		{"go and node", map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": mainGo, "package.json": `{"main": "a.js"}`, "a.js": ""},
			0, []string{"language: go\n"}, []string{"also detected node (package.json); using go"}, false},
		{"python", map[string]string{"pyproject.toml": ""}, 1, nil,
			[]string{"detected python (pyproject.toml) but cannot write its spec yet"}, true},
		{"java", map[string]string{"build.gradle.kts": ""}, 1, nil, []string{"detected java (build.gradle.kts)"}, true},
		{"rust", map[string]string{"Cargo.toml": ""}, 1, nil, []string{"detected rust (Cargo.toml)"}, true},
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
			if _, err := spec.Load("hardened.yaml", data, hllb.SpecOptions()...); err != nil {
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
	want := "# syntax=ghcr.io/hardenedbuild/hardened:1\n# yaml-language-server: $schema=" + schemaURL + "\nlanguage: go\nartifacts: [./cmd/server]\n"
	if string(data) != want {
		t.Errorf("spec =\n%s\nwant\n%s", data, want)
	}
}
