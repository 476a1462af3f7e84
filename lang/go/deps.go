package golang

import (
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// The dependency layer: the standard library's and the dependencies' packages the artifacts import,
// compiled, as GOCACHE entries in the step's own layer, which a registry cache carries to a fresh
// builder (a cache mount never leaves the builder). The step reads the list of those packages as a file whose
// content alone keys it, so a change that imports nothing new reuses it. It compiles on the shared
// build cache mount, so a local dependency change compiles only what the mount lacks, and copies the
// entries the listed packages need into the layer. The compile keeps the shared cache mount too and
// takes the layer's entries into it once per layer: a marker in the mount, named by the layer's id,
// says the mount has them.
const (
	// DepsDir holds the list: the list step's output mount, read-only in the dependency step.
	DepsDir = "/hardened/go-deps"
	// DepsList is the list of packages outside the main module the artifacts import, one a line.
	DepsList = DepsDir + "/packages"
	// DepsLayer is the dependency step's directory in its layer: the entries in gocache/, and id, a
	// random name of this layer. The compile mounts it read-only at the same path.
	DepsLayer = "/hardened/go-deps-layer"
	// SeededDir, in the shared cache mount, holds a file named by the id of each layer it has.
	SeededDir = "hardened-seeded"
	// SeedMessage is what the compile prints when it takes a layer's entries into the shared cache.
	SeedMessage = "adding the dependency layer's entries to the shared build cache"
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

// depsScript runs as sh -c SCRIPT NAME LIST LAYER FLAGS...: go build of the listed packages on the
// shared cache ($GOCACHE) with the compile's own flags, so the compile finds them there. go list
// -export then names each package's compiled archive (an entry NAME-d), and an action entry (NAME-a)
// holds the name of the archive it stands for: those two are what a build looks up, so they are all
// the layer copies (cp --parents keeps their XX/ directory). No action entry found leaves the
// archives alone, and the compile builds again. set -f keeps the list's words from being globbed.
const depsScript = `set -euf
list=$1 layer=$2
shift 2
mkdir -p "$layer/gocache" "$GOCACHE/` + SeededDir + `"
id=$(cat /proc/sys/kernel/random/uuid)
pkgs=$(cat "$list")
if [ -n "$pkgs" ]; then
  go build "$@" $pkgs
  tmp=$(mktemp -d)
  go list -export -f '{{.Export}}' "$@" $pkgs > "$tmp/exports"
  awk -F/ 'NF > 2 { print $(NF-1) "/" $NF }' "$tmp/exports" > "$tmp/entries"
  sed 's|.*/||; s|-d$||' "$tmp/entries" > "$tmp/archives"
  cd "$GOCACHE"
  grep -rlF -f "$tmp/archives" --include='*-a' . >> "$tmp/entries" || [ $? = 1 ]
  xargs cp --parents -t "$layer/gocache" < "$tmp/entries"
  rm -rf "$tmp"
fi
echo "$id" > "$layer/id"
: > "$GOCACHE/` + SeededDir + `/$id"`

// seedScript runs as sh -c SCRIPT NAME LAYER COMMAND...: unless the shared cache mount has the layer's
// marker (the layer was made on this mount, or taken into it before), it adds the layer's entries the
// mount lacks (never replacing one, so a concurrent build's reads stay whole) and leaves the marker;
// then it runs the compile. Go trimming entries from the mount later costs a compile, never a wrong one.
const seedScript = `set -e
layer=$1
shift
seeded="$GOCACHE/` + SeededDir + `/$(cat "$layer/id")"
if [ ! -e "$seeded" ]; then
  echo "` + SeedMessage + `"
  tar -C "$layer/gocache" -cf - . | tar -C "$GOCACHE" -xf - --skip-old-files
  mkdir -p "$GOCACHE/` + SeededDir + `"
  : > "$seeded"
fi
exec "$@"`

// ListCommand is the list step's command.
func ListCommand(s *spec.Spec) []string {
	args := []string{"sh", "-c", listScript, "hardened-go-list", "-deps", "-f", listTemplate}
	args = append(args, tagArgs(s)...)
	return append(args, s.Artifacts...)
}

// DepsCommand is the dependency step's command; -v names each package it compiles in the build's
// log (none the shared cache has: on a fresh builder, all), which says whether the step ran there
// (-v is in no cache key of go's).
func DepsCommand(s *spec.Spec) []string {
	return append([]string{"sh", "-c", depsScript, "hardened-go-deps", DepsList, DepsLayer, "-v", "-trimpath"}, tagArgs(s)...)
}

// SeededCommand is a compile that first takes the layer's entries into the shared cache.
func SeededCommand(args []string) []string {
	return append([]string{"sh", "-c", seedScript, "hardened-go-compile", DepsLayer}, args...)
}

func tagArgs(s *spec.Spec) []string {
	if len(s.Build.Tags) == 0 {
		return nil
	}
	return []string{"-tags", strings.Join(s.Build.Tags, ",")}
}

// depsLayer lists the imported packages from the source (on the modules step, offline), then
// compiles them on the modules step and the shared build cache with only the list's content as a
// further input. It returns the mount of the layer for the compile.
func depsLayer(in *llb.BuildInput, modules, source bkllb.State, build bkllb.RunOption, env []bkllb.RunOption) bkllb.RunOption {
	offline := []bkllb.RunOption{bkllb.Dir(llb.SrcDir), bkllb.Network(pb.NetMode_NONE), bkllb.AddEnv("GOPROXY", "off")}
	// The list reads the shared build cache too: go keeps its index of the module and standard library
	// packages there, and without it parses them all again (0.3 s against 0.05 s for examples/go).
	list := modules.Run(append(append([]bkllb.RunOption{
		bkllb.Args(ListCommand(in.Spec)),
		bkllb.AddMount(llb.SrcDir, source, bkllb.Readonly), build,
		bkllb.WithCustomName(ListStep), in.Locate("artifacts"),
	}, offline...), env...)...)
	packages := list.AddMount(DepsDir, bkllb.Scratch())
	deps := modules.Run(append(append([]bkllb.RunOption{
		bkllb.Args(DepsCommand(in.Spec)),
		bkllb.AddMount(DepsDir, packages, bkllb.Readonly), build,
		bkllb.WithCustomName(DepsStep + " for " + llb.PlatformString(in.Target)), in.Locate("language"),
	}, offline...), env...)...).Root()
	return bkllb.AddMount(DepsLayer, deps, bkllb.SourcePath(DepsLayer), bkllb.Readonly)
}

// Layered says the build compiles its dependencies in a layer of their own. A go.work workspace
// does not: its other modules are not in the modules step, so the list would not build there.
func Layered(files llb.Files) bool {
	_, work := files["go.work"]
	return !work
}
