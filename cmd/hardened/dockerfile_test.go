package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDockerfileCommand(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "go", "hardened.yaml")
	golden, err := os.ReadFile(filepath.Join("..", "..", "dockerfile", "testdata", "go.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	lock := "version: 1\nimages:\n  linux/amd64:\n    base: gcr.io/distroless/static-debian13:nonroot@sha256:" + strings.Repeat("1", 64) +
		"\n    builder: docker.io/library/golang:1.26-trixie@sha256:" + strings.Repeat("2", 64) + "\n"
	dir := tree(t, map[string]string{
		"hardened.lock": lock, "bad.lock": "version: 2\n",
		"node/hardened.yaml": "language: node\nversion: \"24\"\nartifacts: [a.js]\n",
	})
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"golden", []string{"-f", example}, 0, []string{string(golden)}, nil},
		{"locked", []string{"-f", example, "--lock", filepath.Join(dir, "hardened.lock")}, 0, []string{
			"FROM --platform=$BUILDPLATFORM docker.io/library/golang:1.26-trixie@sha256:2222",
			"FROM gcr.io/distroless/static-debian13:nonroot@sha256:1111",
		}, nil},
		{"lock without the platform", []string{"-f", example, "--lock", filepath.Join(dir, "hardened.lock"), "--platform", "linux/arm64"}, 1,
			nil, []string{"no entry images.linux/arm64.builder"}},
		{"bad lock", []string{"-f", example, "--lock", filepath.Join(dir, "bad.lock")}, 1, nil, []string{"version 2 is not supported"}},
		{"missing lock", []string{"-f", example, "--lock", filepath.Join(dir, "nope.lock")}, 1, nil, []string{"nope.lock"}},
		{"node without a lock file", []string{"-f", filepath.Join(dir, "node", "hardened.yaml")}, 1, nil, []string{"hardened.yaml:1:11: language: no lock file"}},
		{"bad platform", []string{"-f", example, "--platform", "linux/"}, 2, nil, []string{"--platform"}},
		{"extra argument", []string{"x", "y"}, 2, nil, []string{"usage: hardened dockerfile"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runDockerfile(tc.args, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

// A spec init wrote in a workspace package's directory is for the workspace root as the build
// context: the Dockerfile reads the root's lock, names the spec by its path from the root (so the
// source copy leaves it out) and is built from the root, which stderr says; CONTEXT names it too.
func TestDockerfileWorkspacePackage(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ws")
	if err := os.CopyFS(root, os.DirFS(filepath.Join("..", "..", "lang", "node", "testdata", "workspace"))); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(root, "packages", "api")
	var stdout, stderr bytes.Buffer
	if code := runInit([]string{app}, &stdout, &stderr); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr.String())
	}
	specPath := filepath.Join(app, "hardened.yaml")
	for _, args := range [][]string{{"-f", specPath}, {"-f", specPath, root}} {
		stdout.Reset()
		stderr.Reset()
		if code := runDockerfile(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		wantAll(t, stdout.String(), "from packages/api/hardened.yaml:", "--parents package-lock.json package.json packages/*/package.json /src/",
			`["npm","ci","--omit=dev","--workspace","packages/api"]`, "--exclude=packages/api/hardened.yaml --exclude=packages/api/hardened.lock",
			`ENTRYPOINT ["/nodejs/bin/node","/app/packages/api/src/server.js"]`)
		if named := strings.Contains(stderr.String(), "is a package of the workspace at "+root+", the build context"); named != (len(args) == 2) {
			t.Errorf("%q: stderr %q", args, stderr.String())
		}
	}
}
