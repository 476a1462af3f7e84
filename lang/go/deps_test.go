package golang

import (
	"slices"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

func buildGraph(t *testing.T, files llb.Files) *llbtest.Graph {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte("language: go\nartifacts: [./cmd/a, ./cmd/b]\nbuild:\n  tags: [netgo]\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := &llb.BuildInput{
		Spec: s, Files: files, Target: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Builder: llb.Image{State: bkllb.Image("docker.io/library/golang:1.26-trixie")},
		Context: bkllb.Local("context"),
		Locate:  func(string) bkllb.ConstraintsOpt { return bkllb.LinuxAmd64 },
		Network: bkllb.Network(pb.NetMode_UNSET),
	}
	st, _, err := Language{}.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return llbtest.Marshal(t, st)
}

// The dependency step's inputs are the modules step and the list's content: never the source copy.
// It compiles on the compile's shared cache mount; the first compile mounts the step's layer
// directory read-only and runs the seed script before go build.
func TestDependencyLayerLLB(t *testing.T) {
	g := buildGraph(t, llb.Files{"go.mod": []byte("module example.com/m\n\ngo 1.26\n")})
	modules := g.Named(t, ModulesStep)
	list := g.Named(t, ListStep)
	deps := g.Named(t, DepsStep+" for linux/amd64")
	if args := list.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args[len(args)-4:], []string{"-tags", "netgo", "./cmd/a", "./cmd/b"}) {
		t.Errorf("list args = %q, want the tags and the artifacts as arguments", args)
	}
	if args := deps.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args[3:], []string{"hardened-go-deps", DepsList, DepsLayer, "-v", "-trimpath", "-tags", "netgo"}) {
		t.Errorf("deps args = %q, want the list, the layer, the compile's -trimpath and tags", args)
	}
	if g.DependsOn(deps, g.Named(t, "copy source").Digest) || !g.DependsOn(deps, list.Digest) || !g.DependsOn(deps, modules.Digest) {
		t.Error("the dependency step does not build on the modules and the list alone")
	}
	first, second := g.Named(t, "compile ./cmd/a for linux/amd64"), g.Named(t, "compile ./cmd/b for linux/amd64")
	build := sharedCache(first)
	if build == "" {
		t.Fatal("the first compile has no shared build cache mount")
	}
	for _, o := range []llbtest.Op{list, deps} {
		if o.Op.GetExec().Network != pb.NetMode_NONE {
			t.Errorf("%s has network", o.Name)
		}
		for _, m := range o.Op.GetExec().GetMounts() {
			if m.Dest != "/" && !m.Readonly && m.Dest != DepsDir && m.MountType != pb.MountType_CACHE {
				t.Errorf("%s mounts %s writable", o.Name, m.Dest)
			}
		}
	}
	if got := sharedCache(list); got != build {
		t.Errorf("the list step reads the cache %q, want the compile's %q (go's package index)", got, build)
	}
	if got := sharedCache(deps); got != build {
		t.Errorf("the dependency step compiles on the cache %q, want the compile's %q", got, build)
	}
	var layered bool
	for _, m := range first.Op.GetExec().GetMounts() {
		if m.Dest == DepsLayer {
			in, _ := g.Input(first, int(m.Input))
			layered = m.Readonly && m.Selector == DepsLayer && in.Digest == deps.Digest
		}
	}
	if !layered {
		t.Errorf("the first compile does not mount the dependency step's %s read-only", DepsLayer)
	}
	if args := first.Op.GetExec().GetMeta().GetArgs(); args[0] != "sh" || args[3] != "hardened-go-compile" || args[4] != DepsLayer || args[5] != "go" {
		t.Errorf("first compile args = %q, want the seed script, the layer, then go build", args)
	}
	if args := second.Op.GetExec().GetMeta().GetArgs(); args[0] != "go" {
		t.Errorf("second compile args = %q: only the first seeds", args)
	}
}

// sharedCache is the id of the cache mounted at GOCACHE, "" for none.
func sharedCache(o llbtest.Op) string {
	for _, m := range o.Op.GetExec().GetMounts() {
		if m.Dest == GoCache && m.MountType == pb.MountType_CACHE {
			return m.CacheOpt.GetID()
		}
	}
	return ""
}

// A go.work workspace compiles on the shared cache mount alone.
func TestWorkspaceHasNoDependencyLayer(t *testing.T) {
	g := buildGraph(t, llb.Files{"go.mod": []byte("module example.com/m\n\ngo 1.26\n"), "go.work": []byte("go 1.26\n\nuse .\n")})
	for _, o := range g.Ops {
		if o.Name == ListStep || o.Name == DepsStep+" for linux/amd64" {
			t.Errorf("a go.work build runs %q", o.Name)
		}
	}
}
