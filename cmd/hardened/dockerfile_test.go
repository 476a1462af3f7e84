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
		{"extra argument", []string{"x"}, 2, nil, []string{"usage: hardened dockerfile"}},
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
