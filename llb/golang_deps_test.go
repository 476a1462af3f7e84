package llb_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	golang "github.com/hardenedbuild/hardened/lang/go"
)

// The dependency step is keyed by the modules step and the list's content alone: its root never reads
// the source, the list reaches it as a read-only mount (which BuildKit keys by content), and it runs
// with the compile's flags and environment so the compile finds every dependency in its GOCACHE.
func TestGoDependencyLayer(t *testing.T) {
	s := load(t, "language: go\nartifacts: [./cmd/server]\nbuild:\n  tags: [netgo]\n  env: {GOFLAGS: -mod=mod}\n")
	_, files := loadExample(t)
	_, g := convert(t, s, resolved(t, s, files, arm64))
	source := g.Named(t, "the source, without the spec and its lock")
	modules := g.Named(t, golang.ModulesStep)
	list := g.Named(t, golang.ListStep)
	deps := g.Named(t, golang.DepsStep+" for linux/arm64")
	compile := g.Named(t, "compile ./cmd/server for linux/arm64")

	if args := list.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args[3:], []string{"hardened-go-list", "-deps", "-f",
		"{{if not (and .Module .Module.Main)}}{{.ImportPath}}{{end}}", "-tags", "netgo", "./cmd/server"}) {
		t.Errorf("list args = %q, want the tags and artifacts as arguments of the fixed script", args)
	}
	if !g.DependsOn(list, source.Digest) || !g.DependsOn(list, modules.Digest) {
		t.Error("the list does not read the source on the staged modules")
	}
	var listMount *pb.Mount
	for _, m := range deps.Op.GetExec().GetMounts() {
		in, _ := g.Input(deps, int(m.Input))
		switch {
		case m.Dest == "/":
			if in.Digest != modules.Digest {
				t.Errorf("the dependency step's root is %q, want the modules step", in.Name)
			}
		case m.Dest == golang.DepsDir:
			listMount = m
			if in.Digest != list.Digest || !m.Readonly {
				t.Errorf("%s: from %q read-only %v, want the list step's output, read-only (keyed by content)", m.Dest, in.Name, m.Readonly)
			}
		default:
			t.Errorf("the dependency step mounts %s (type %v): only the list may key it", m.Dest, m.MountType)
		}
	}
	if listMount == nil {
		t.Fatal("the dependency step does not mount the list")
	}
	if args := deps.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args[3:], []string{"hardened-go-deps", "-trimpath", "-tags", "netgo"}) {
		t.Errorf("dependency step args = %q, want the compile's -trimpath and tags", args)
	}
	for _, o := range []llbtest.Op{list, deps, compile} {
		if o.Op.GetExec().Network != pb.NetMode_NONE {
			t.Errorf("%s has the network", o.Name)
		}
	}
	if de, ce := llbtest.Env(deps), llbtest.Env(compile); !maps.Equal(de, ce) || de["GOCACHE"] != golang.GoCache || de["GOARCH"] != "arm64" || de["GOFLAGS"] != "-mod=mod" {
		t.Errorf("dependency step env %v, compile env %v: want the same, GOCACHE in the layer", de, ce)
	}
	if root, _ := g.Input(compile, 0); !g.DependsOn(root, deps.Digest) {
		t.Error("the compile does not build on the dependency layer")
	}
}

// A go.work workspace's other modules are not in the modules step: no dependency layer, the compile
// builds on the shared cache mount as before.
func TestGoWorkspaceCompilesOnTheCacheMount(t *testing.T) {
	s, files := loadExample(t)
	files["go.work"] = []byte("go 1.26\nuse .\n")
	_, g := convert(t, s, resolved(t, s, files, amd64))
	for _, o := range g.Ops {
		if o.Name == golang.ListStep {
			t.Error("a workspace build lists its imports")
		}
	}
	assertCacheMount(t, g.Named(t, "compile ./cmd/server for linux/amd64"), golang.GoCache, "hardened/go/build")
}
