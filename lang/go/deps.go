package golang

import (
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// The dependency layer: the standard library and the module's dependencies compiled into the
// builder's own GOCACHE, a layer a registry cache carries (a cache mount is never exported). Its
// step reads the list of imported packages as a file whose content alone keys it, so a source change
// that imports nothing new reuses it, on a fresh builder with --cache-from too.
const (
	// DepsDir holds the list: the list step's output mount, read-only in the dependency step.
	DepsDir = "/hardened/go-deps"
	// DepsList is the list of packages outside the main module the artifacts import, one a line.
	DepsList = DepsDir + "/packages"
	// GoCache is the builder's GOCACHE: the dependency layer's, which the compile builds on.
	GoCache = "/root/.cache/go-build"
	// ListStep and DepsStep name the two steps.
	ListStep = "list the packages the artifacts import from outside the module"
	DepsStep = "compile the standard library and the dependencies"
)

// listTemplate prints every package of the build outside the main module: the standard library's and
// the dependencies'.
const listTemplate = `{{if not (and .Module .Module.Main)}}{{.ImportPath}}{{end}}`

// listScript runs as sh -c SCRIPT NAME ARGS...: go list with the spec's tags and artifacts as
// arguments, never part of the script, its output in the list file.
const listScript = `mkdir -p ` + DepsDir + ` && exec go list "$@" > ` + DepsList

// depsScript builds the listed packages with the compile's own flags (-trimpath, the tags), so the
// compile finds them in GOCACHE; set -f keeps the list's words from being globbed.
const depsScript = `set -f && exec go build "$@" $(cat ` + DepsList + `)`

// ListCommand is the list step's command.
func ListCommand(s *spec.Spec) []string {
	args := []string{"sh", "-c", listScript, "hardened-go-list", "-deps", "-f", listTemplate}
	args = append(args, tagArgs(s)...)
	return append(args, s.Artifacts...)
}

// DepsCommand is the dependency step's command.
func DepsCommand(s *spec.Spec) []string {
	return append([]string{"sh", "-c", depsScript, "hardened-go-deps", "-trimpath"}, tagArgs(s)...)
}

func tagArgs(s *spec.Spec) []string {
	if len(s.Build.Tags) == 0 {
		return nil
	}
	return []string{"-tags", strings.Join(s.Build.Tags, ",")}
}

// sourceState is the context without the files that decide the build, in a snapshot of its own: the
// list step mounts it and the compile copies it.
func sourceState(in *llb.BuildInput) bkllb.State {
	return bkllb.Scratch().File(bkllb.Copy(in.Context, "/", "/", &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		ExcludePatterns:     in.SourceExcludes(),
	}), bkllb.WithCustomName("the source, without the spec and its lock"), in.Locate("language"))
}

// depsLayer lists the imported packages from the source (on the modules step, offline), then
// compiles them on the modules step with only the list's content as a further input.
func depsLayer(in *llb.BuildInput, modules, source bkllb.State, env []bkllb.RunOption) bkllb.State {
	offline := []bkllb.RunOption{bkllb.Dir(llb.SrcDir), bkllb.Network(pb.NetMode_NONE), bkllb.AddEnv("GOPROXY", "off")}
	list := modules.Run(append(append([]bkllb.RunOption{
		bkllb.Args(ListCommand(in.Spec)),
		bkllb.AddMount(llb.SrcDir, source),
		bkllb.WithCustomName(ListStep), in.Locate("artifacts"),
	}, offline...), env...)...)
	packages := list.AddMount(DepsDir, bkllb.Scratch())
	return modules.Run(append(append([]bkllb.RunOption{
		bkllb.Args(DepsCommand(in.Spec)),
		bkllb.AddMount(DepsDir, packages, bkllb.Readonly),
		bkllb.WithCustomName(DepsStep + " for " + llb.PlatformString(in.Target)), in.Locate("language"),
	}, offline...), env...)...).Root()
}

// layered says the build compiles its dependencies in a layer of their own. A go.work workspace
// does not: its other modules are not in the modules step, so the list would not build there.
func layered(in *llb.BuildInput) bool {
	_, work := in.Files["go.work"]
	return !work
}
