package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [./cmd/server]\n")
	bad := write("bad.yaml", "language: cobol\nartifacts: [./cmd/server]\nuser: 0\n")
	big := write("big.yaml", "language: go\n#"+strings.Repeat("x", 2<<20)+"\n")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{"no command", nil, 2, nil, []string{"Usage:"}, true},
		{"help", []string{"help"}, 0, []string{"hardened lint", "hardened schema"}, nil, false},
		{"-h", []string{"-h"}, 0, []string{"Usage:"}, nil, false},
		{"unknown command", []string{"build"}, 2, nil, []string{`unknown command "build"`, "Usage:"}, true},
		{"unknown flag", []string{"-x"}, 2, nil, []string{"-x", "Usage:"}, true},
		{"lint good", []string{"lint", good}, 0, []string{good + ": ok"}, nil, false},
		{"lint bad", []string{"lint", bad}, 1, nil, []string{
			bad + `:1:11: language: unknown language "cobol"; write one of: go`,
			bad + ":3:7: user: uid 0 (root) is not allowed; write user: 65532",
		}, true},
		{"lint several", []string{"lint", good, bad}, 1, []string{good + ": ok"}, []string{bad + ":3:7: user"}, false},
		{"lint missing file", []string{"lint", filepath.Join(dir, "nope.yaml")}, 1, nil, []string{"hardened: open", "nope.yaml"}, true},
		{"lint huge file", []string{"lint", big}, 1, nil, []string{big + ":1:1: the file is over the 1 MiB limit"}, true},
		{"lint bad flag", []string{"lint", "-q", good}, 2, nil, []string{"-q", "Usage:"}, true},
		{"schema", []string{"schema"}, 0, []string{`"$schema": "https://json-schema.org/draft/2020-12/schema"`}, nil, false},
		{"schema with args", []string{"schema", "x"}, 2, nil, []string{"schema takes no arguments"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
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
			if tc.noStdout && stdout.Len() > 0 {
				t.Errorf("unexpected stdout:\n%s", stdout.String())
			}
		})
	}
}

func TestLintDefaultsToHardenedYAML(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hardened.yaml"), []byte("language: go\nartifacts: [.]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"lint"}, &stdout, &stderr); code != 0 || stdout.String() != "hardened.yaml: ok\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestLintWarnsOnDebian12: a spec that asks for the end-of-life Debian 12 images lints clean (it
// builds) with a warning at its debian line saying when support ended and what to write.
func TestLintWarnsOnDebian12(t *testing.T) {
	dir := t.TempDir()
	for name, yaml := range map[string]string{
		"old.yaml": "language: node\nartifacts: [a.js]\ndebian: \"12\"\nversion: \"22\"\n",
		"new.yaml": "language: node\nartifacts: [a.js]\ndebian: \"13\"\nversion: \"22\"\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"lint", filepath.Join(dir, "old.yaml"), filepath.Join(dir, "new.yaml")}, &stdout, &stderr)
	want := filepath.Join(dir, "old.yaml") + `:3:9: warning: debian: "12": distroless Debian 12 (nodejs) reached end of life on 2026-01-31; ` +
		`move to the -debian13 image (gcr.io/distroless/<image>-debian13); remove the debian line (or write debian: "13") to build on Debian 13 (trixie), the default` + "\n"
	if code != 0 || stderr.String() != want || strings.Count(stdout.String(), ": ok\n") != 2 {
		t.Errorf("exit %d\nstdout %q\nstderr %q\nwant stderr %q", code, stdout.String(), stderr.String(), want)
	}
}
