package golang

import (
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// The dependency layer: the standard library's and the dependencies' packages the artifacts import,
// compiled into a GOCACHE of the step's own layer, which a registry cache carries to a fresh builder (a
// cache mount never leaves the builder). The step reads the list of those packages as a file whose
// content alone keys it, so a change that imports nothing new reuses it. The compile keeps the shared
// build cache mount, fast for local rebuilds, and first adds to it what the layer has and it lacks.
const (
	// DepsDir holds the list: the list step's output mount, read-only in the dependency step.
	DepsDir = "/hardened/go-deps"
	// DepsList is the list of packages outside the main module the artifacts import, one a line.
	DepsList = DepsDir + "/packages"
	// DepsCache is where the compile mounts the layer's GOCACHE, read-only.
	DepsCache = "/hardened/go-deps-cache"
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
const depsScript = `set -f && pkgs=$(cat ` + DepsList + `) && if [ -n "$pkgs" ]; then exec go build "$@" $pkgs; fi`

// seedScript runs as sh -c SCRIPT NAME COMMAND...: it adds the layer's cache entries the shared cache
// mount lacks (never replacing one, so a concurrent build's reads stay whole), then runs the compile.
const seedScript = `tar -C ` + DepsCache + ` -cf - . | tar -C "$GOCACHE" -xf - --skip-old-files && exec "$@"`

// ListCommand is the list step's command.
func ListCommand(s *spec.Spec) []string {
	args := []string{"sh", "-c", listScript, "hardened-go-list", "-deps", "-f", listTemplate}
	args = append(args, tagArgs(s)...)
	return append(args, s.Artifacts...)
}

// DepsCommand is the dependency step's command; -v names each package it compiles in the build's
// log, which says whether the step ran (-v is in no cache key of go's).
func DepsCommand(s *spec.Spec) []string {
	return append([]string{"sh", "-c", depsScript, "hardened-go-deps", "-v", "-trimpath"}, tagArgs(s)...)
}

// SeededCommand is a compile that first takes the layer's entries into the shared cache.
func SeededCommand(args []string) []string {
	return append([]string{"sh", "-c", seedScript, "hardened-go-compile"}, args...)
}

func tagArgs(s *spec.Spec) []string {
	if len(s.Build.Tags) == 0 {
		return nil
	}
	return []string{"-tags", strings.Join(s.Build.Tags, ",")}
}

// depsLayer lists the imported packages from the source (on the modules step, offline), then
// compiles them on the modules step with only the list's content as a further input. It returns the
// mount of the layer's GOCACHE for the compile.
func depsLayer(in *llb.BuildInput, modules, source bkllb.State, env []bkllb.RunOption) bkllb.RunOption {
	offline := []bkllb.RunOption{bkllb.Dir(llb.SrcDir), bkllb.Network(pb.NetMode_NONE), bkllb.AddEnv("GOPROXY", "off")}
	list := modules.Run(append(append([]bkllb.RunOption{
		bkllb.Args(ListCommand(in.Spec)),
		bkllb.AddMount(llb.SrcDir, source, bkllb.Readonly),
		bkllb.WithCustomName(ListStep), in.Locate("artifacts"),
	}, offline...), env...)...)
	packages := list.AddMount(DepsDir, bkllb.Scratch())
	deps := modules.Run(append(append([]bkllb.RunOption{
		bkllb.Args(DepsCommand(in.Spec)),
		bkllb.AddMount(DepsDir, packages, bkllb.Readonly),
		bkllb.WithCustomName(DepsStep + " for " + llb.PlatformString(in.Target)), in.Locate("language"),
	}, offline...), env...)...).Root()
	return bkllb.AddMount(DepsCache, deps, bkllb.SourcePath(GoCache), bkllb.Readonly)
}

// Layered says the build compiles its dependencies in a layer of their own. A go.work workspace
// does not: its other modules are not in the modules step, so the list would not build there.
func Layered(files llb.Files) bool {
	_, work := files["go.work"]
	return !work
}
