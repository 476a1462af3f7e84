package llb_test

import (
	"slices"
	"testing"

	"github.com/hardenedbuild/hardened/internal/llbtest"
)

// A sh step is the builder's shell running the script as written; build args reach every builder
// step as variables, and the build's value wins over the default.
func TestShellStepAndBuildArgs(t *testing.T) {
	s := load(t, `language: go
artifacts: [./cmd/server]
build:
  args: {VERSION: dev}
  steps:
    - sh: 'test -n "$VERSION" && echo "$VERSION" > /out/version'
    - {name: vet, run: [go, vet, ./...]}
`).WithBuildArgs(map[string]string{"VERSION": "1.2.3"})
	_, files := loadExample(t)
	_, g := convert(t, s, resolved(t, s, files, amd64))

	sh := g.Named(t, `sh: test -n "$VERSION" && echo "$VERSION" > /out/version`)
	if args := sh.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"/bin/sh", "-c", `test -n "$VERSION" && echo "$VERSION" > /out/version`}) {
		t.Errorf("sh step args = %q", args)
	}
	for _, name := range []string{`sh: test -n "$VERSION" && echo "$VERSION" > /out/version`, "vet", "go mod download", "compile ./cmd/server for linux/amd64"} {
		if v := llbtest.Env(g.Named(t, name))["VERSION"]; v != "1.2.3" {
			t.Errorf("%s: VERSION = %q, want the build's 1.2.3", name, v)
		}
	}
}
