package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestK8sCommand(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "go", "hardened.yaml")
	bad := filepath.Join(tree(t, map[string]string{"hardened.yaml": "language: go\nuser: 0\n"}), "hardened.yaml")
	plain := filepath.Join(tree(t, map[string]string{"My App/hardened.yaml": "language: go\nartifacts: [./cmd/a]\nexpose: [80]\n"}), "My App", "hardened.yaml")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"deployment", []string{"-f", example, "--image", "r.example/app@sha256:ab", "--name", "web"}, 0,
			[]string{"kind: Deployment\n", "  name: web\n", "image: r.example/app@sha256:ab\n", "readOnlyRootFilesystem: true"}, nil},
		{"name from the title label, image from the name", []string{"-f", example}, 0,
			[]string{"name: hardened-go-example\n", "image: hardened-go-example\n"}, []string{"no --image"}},
		{"name from the directory; low port", []string{"-f", plain, "--image", "x"}, 0,
			[]string{"name: my-app\n"}, []string{"expose 80 is below 1024"}},
		{"securitycontext only", []string{"-f", example, "--securitycontext-only"}, 0,
			[]string{"securityContext:\n", "volumes:\n"}, nil},
		{"bad spec", []string{"-f", bad}, 1, nil, []string{"user: uid 0 (root) is not allowed"}},
		{"bad name", []string{"-f", example, "--name", "Web_1", "--image", "x"}, 1, nil, []string{"web-1"}},
		{"missing spec", []string{"-f", "nope.yaml"}, 1, nil, []string{"nope.yaml"}},
		{"extra argument", []string{"x"}, 2, nil, []string{"usage: hardened k8s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runK8s(tc.args, &stdout, &stderr); code != tc.code {
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
			if tc.code == 0 {
				var doc map[string]any
				if err := yaml.Unmarshal(stdout.Bytes(), &doc); err != nil || len(doc) == 0 {
					t.Errorf("stdout is not a YAML mapping: %v", err)
				}
			}
		})
	}
}
