package rust

import (
	"path"
	"slices"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// The dependency layer (what cargo-chef does): the package's manifests, its lock and its vendored
// sources with dummy targets compiled in a step keyed by those files and the toolchain alone, into a
// target directory in the step's own layer, which a registry cache carries to a fresh builder (a cache
// mount never leaves the builder). The crate's own code then compiles on a writable mount of that
// directory, whose changes are discarded; neither reaches the image.
const (
	// DepsStep names the step that compiles the dependencies; SkeletonStep the copy it builds.
	DepsStep     = "cargo build the dependencies"
	SkeletonStep = "copy Cargo.toml, Cargo.lock and vendored sources, with dummy targets"
	// dummyMain and dummyLib stand in for every target the manifest names.
	dummyMain = "fn main() {}\n"
	dummyLib  = "\n"
)

// skeleton is what the dependency layer copies of the context and the dummy targets it writes.
type skeleton struct {
	pkg      string   // the package's name, whose own artifacts the layer drops
	includes []string // context paths to copy: manifests and the lock
	vendor   []string // vendored source directories, copied with VendorTime
	dummies  []string // target paths relative to the package, with dummyMain (dummyLib for the lib)
	lib      string   // the lib target's path, "" without one
}

// manifestFiles are the files that decide the dependencies' compile besides a vendor directory.
var manifestFiles = []string{"Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "rust-toolchain", ".cargo/config.toml", ".cargo/config"}

// rustSkeleton plans the dependency layer, ok false when the project gets none: a workspace (its
// members' manifests are not read ahead), a path dependency (a local crate the skeleton lacks), a
// cargo configuration naming paths outside the context, or a target path outside the package.
func rustSkeleton(files llb.Files) (skeleton, bool) {
	manifest := tomlTables(files["Cargo.toml"])
	if manifest == nil || !rustInstalls(files) || hasPathDependency(manifest) || len(Language{}.Includes(files)) > 0 {
		return skeleton{}, false
	}
	sk := skeleton{pkg: tomlString(files["Cargo.toml"], "package", "name"), includes: slices.Clone(manifestFiles)}
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		if dir := vendorDir(files[f]); dir != "" && !relativePath(dir) {
			return skeleton{}, false
		}
	}
	sk.vendor = vendorDirs(files)
	targets, ok := targetPaths(manifest, sk.pkg)
	if !ok {
		return skeleton{}, false
	}
	if lib, isLib := manifest["lib"].(map[string]any); isLib {
		sk.lib = "src/lib.rs"
		if p, set := lib["path"].(string); set {
			if sk.lib = path.Clean(p); !relativePath(p) {
				return skeleton{}, false
			}
		}
	}
	for _, t := range targets {
		if t != sk.lib && !slices.Contains(sk.dummies, t) {
			sk.dummies = append(sk.dummies, t)
		}
	}
	return sk, true
}

// targetPaths are the paths of the targets cargo must find to load the manifest: src/main.rs (the
// skeleton's binary when the manifest names none), the build script, and every [[bin]], [[example]],
// [[test]] and [[bench]] at its path or where cargo looks for it by name.
func targetPaths(manifest map[string]any, pkg string) ([]string, bool) {
	out := []string{"src/main.rs"}
	pkgTable, _ := manifest["package"].(map[string]any)
	if p, ok := pkgTable["build"].(string); ok {
		out = append(out, p)
	} else if _, links := pkgTable["links"]; links {
		out = append(out, "build.rs") // cargo refuses links without a build script
	}
	for kind, dir := range map[string]string{"bin": "src/bin", "example": "examples", "test": "tests", "bench": "benches"} {
		list, _ := manifest[kind].([]map[string]any)
		for _, t := range list {
			name, _ := t["name"].(string)
			p, set := t["path"].(string)
			switch {
			case set:
			case kind == "bin" && name == pkg:
				p = "src/main.rs"
			default:
				p = dir + "/" + name + ".rs"
			}
			out = append(out, p)
		}
	}
	for i, p := range out {
		if !relativePath(p) {
			return nil, false
		}
		out[i] = path.Clean(p)
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// relativePath says a manifest's path stays inside the package.
func relativePath(p string) bool {
	c := path.Clean(p)
	return p != "" && !path.IsAbs(c) && c != "." && c != ".." && !strings.HasPrefix(c, "../")
}

// vendorDir is the directory source a cargo configuration replaces crates.io with, "" for none.
func vendorDir(config []byte) string {
	replace := tomlString(config, "source", "crates-io", "replace-with")
	if replace == "" {
		return ""
	}
	return tomlString(config, "source", replace, "directory")
}

// vendorDirs are the vendored source directories inside the context that the cargo configuration names.
func vendorDirs(files llb.Files) []string {
	var out []string
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		if dir := vendorDir(files[f]); dir != "" && relativePath(dir) {
			out = append(out, path.Clean(dir))
		}
	}
	return out
}

// copyVendored copies the vendored directories with VendorTime after a copy that left them out.
func copyVendored(in *llb.BuildInput, fa *bkllb.FileAction, vendor []string) *bkllb.FileAction {
	if len(vendor) == 0 {
		return fa
	}
	return fa.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     vendor,
		ExcludePatterns:     in.SourceExcludes("target"),
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		AllowEmptyWildcard:  true,
		CreatedTime:         &VendorTime,
	})
}

// hasPathDependency says a dependency table, a [patch] or a [replace] names a path: a local crate
// that the skeleton does not have.
func hasPathDependency(manifest map[string]any) bool {
	tables := []any{manifest["dependencies"], manifest["dev-dependencies"], manifest["build-dependencies"], manifest["patch"], manifest["replace"]}
	if targets, ok := manifest["target"].(map[string]any); ok {
		for _, t := range targets {
			tables = append(tables, t)
		}
	}
	for _, t := range tables {
		if namesPath(t) {
			return true
		}
	}
	return false
}

func namesPath(v any) bool {
	t, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := t["path"]; ok {
		return true
	}
	for _, sub := range t {
		if namesPath(sub) {
			return true
		}
	}
	return false
}

// skeletonState writes the skeleton at /src on the builder: the context's manifests and vendored
// sources (with VendorTime), then the dummy targets, with SourceTime.
func skeletonState(in *llb.BuildInput, st bkllb.State, sk skeleton) bkllb.State {
	fa := bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     sk.includes,
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		AllowEmptyWildcard:  true,
		CreatedTime:         &SourceTime,
	})
	fa = copyVendored(in, fa, sk.vendor)
	write := func(rel, content string) {
		p := path.Join(llb.SrcDir, rel)
		fa = fa.Mkdir(path.Dir(p), 0o755, bkllb.WithParents(true), bkllb.WithCreatedTime(SourceTime)).
			Mkfile(p, 0o644, []byte(content), bkllb.WithCreatedTime(SourceTime))
	}
	for _, d := range sk.dummies {
		write(d, dummyMain)
	}
	if sk.lib != "" {
		write(sk.lib, dummyLib)
	}
	return st.File(fa, bkllb.WithCustomName(SkeletonStep), in.Locate("language"))
}

// depsLayer compiles the dependencies on the skeleton with the compile's own flags and environment,
// then removes the dummy package's artifacts so the real crate builds afresh. Its root holds the
// target directory; fetch runs cargo fetch first, into the layer (the compile reads it offline).
func depsLayer(in *llb.BuildInput, st bkllb.State, sk skeleton, fetch []string, flags []string, env []bkllb.RunOption) bkllb.State {
	st = skeletonState(in, st, sk)
	if fetch != nil {
		st = st.Run(append([]bkllb.RunOption{
			bkllb.Args(fetch), bkllb.Dir(llb.SrcDir), in.Network,
			bkllb.WithCustomName(strings.Join(fetch, " ") + " into the dependency layer"), in.Locate("language"),
		}, env...)...).Root()
	}
	offline := []bkllb.RunOption{bkllb.Dir(llb.SrcDir), bkllb.Network(pb.NetMode_NONE), in.Locate("language")}
	st = st.Run(append(append([]bkllb.RunOption{
		bkllb.Args(append([]string{"cargo", "build", "--release", "--locked", "--offline"}, flags...)),
		bkllb.WithCustomName(DepsStep + " for " + llb.PlatformString(in.Target)),
	}, offline...), env...)...).Root()
	// cargo clean takes the same profile, target and flags, so it finds the package's artifacts.
	return st.Run(append(append([]bkllb.RunOption{
		bkllb.Args(append([]string{"cargo", "clean", "--release", "--locked", "--offline", "--package", sk.pkg}, flags...)),
		bkllb.WithCustomName("cargo clean the dummy " + sk.pkg + " out of the dependency layer"),
	}, offline...), env...)...).Root()
}

// copyOverSkeleton removes the skeleton's dummy targets, then copies the source over the rest, so no
// target of the skeleton that the crate lacks survives into its compile.
func copyOverSkeleton(sk skeleton, copyContext func(*bkllb.FileAction) *bkllb.FileAction) *bkllb.FileAction {
	var fa *bkllb.FileAction
	for _, d := range append(slices.Clone(sk.dummies), sk.lib) {
		if d == "" {
			continue
		}
		p := path.Join(llb.SrcDir, d)
		if fa == nil {
			fa = bkllb.Rm(p, bkllb.WithAllowNotFound(true))
		} else {
			fa = fa.Rm(p, bkllb.WithAllowNotFound(true))
		}
	}
	return copyContext(fa)
}
