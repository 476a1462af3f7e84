package rust

import (
	"slices"
	"strings"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

const vendoredConfig = "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"third_party/vendor\"\n"

func TestSkeletonOfAPackage(t *testing.T) {
	files := llb.Files{
		"Cargo.toml": []byte(`[package]
name = "app"
build = "tools/build.rs"

[lib]
path = "src/core.rs"

[[bin]]
name = "app"

[[bin]]
name = "tool"

[[bin]]
name = "other"
path = "cmd/other.rs"

[[bench]]
name = "speed"
harness = false

[dependencies]
itoa = "1"
serde = { version = "1", features = ["derive"] }
`),
		"Cargo.lock":         []byte("version = 3\n"),
		".cargo/config.toml": []byte(vendoredConfig),
	}
	sk, ok := rustSkeleton(files)
	if !ok {
		t.Fatal("a package with registry dependencies gets no dependency layer")
	}
	if sk.pkg != "app" || sk.lib != "src/core.rs" {
		t.Errorf("package %q lib %q, want app and src/core.rs", sk.pkg, sk.lib)
	}
	wantDummies := []string{"benches/speed.rs", "cmd/other.rs", "src/bin/tool.rs", "src/main.rs", "tools/build.rs"}
	if !slices.Equal(sk.dummies, wantDummies) {
		t.Errorf("dummies = %q, want %q", sk.dummies, wantDummies)
	}
	if !slices.Equal(sk.vendor, []string{"third_party/vendor"}) || !slices.Contains(sk.includes, "Cargo.lock") {
		t.Errorf("includes = %q, vendor = %q, want the lock and the vendor directory", sk.includes, sk.vendor)
	}
	for _, src := range []string{"src", "src/main.rs", "cmd"} {
		if slices.Contains(sk.includes, src) {
			t.Errorf("the skeleton copies %q: a source change would rebuild the dependencies", src)
		}
	}
}

// A package that links a native library must have a build script, or cargo refuses the manifest.
func TestSkeletonKeepsABuildScriptForLinks(t *testing.T) {
	sk, ok := rustSkeleton(llb.Files{"Cargo.toml": []byte("[package]\nname = \"sys\"\nlinks = \"z\"\n"), "Cargo.lock": []byte("version = 3\n")})
	if !ok || !slices.Equal(sk.dummies, []string{"build.rs", "src/main.rs"}) {
		t.Errorf("skeleton %+v, want a dummy build.rs beside src/main.rs", sk)
	}
}

func TestNoSkeleton(t *testing.T) {
	for name, c := range map[string]struct{ manifest, config string }{
		"workspace":              {"[workspace]\nmembers = [\"a\"]\n", ""},
		"package in a workspace": {"[package]\nname = \"a\"\n\n[workspace]\nmembers = [\"b\"]\n", ""},
		"path dependency":        {"[package]\nname = \"a\"\n\n[dependencies]\nb = { path = \"../b\" }\n", ""},
		"target path dependency": {"[package]\nname = \"a\"\n\n[target.'cfg(unix)'.dependencies]\nb = { path = \"b\" }\n", ""},
		"patch":                  {"[package]\nname = \"a\"\n\n[patch.crates-io]\nb = { path = \"b\" }\n", ""},
		"dev path":               {"[package]\nname = \"a\"\n\n[dev-dependencies.b]\npath = \"b\"\n", ""},
		"bin outside":            {"[package]\nname = \"a\"\n\n[[bin]]\nname = \"x\"\npath = \"../x.rs\"\n", ""},
		"absolute lib":           {"[package]\nname = \"a\"\n\n[lib]\npath = \"/etc/lib.rs\"\n", ""},
		"vendor outside":         {"[package]\nname = \"a\"\n", "[source.crates-io]\nreplace-with = \"v\"\n\n[source.v]\ndirectory = \"../vendor\"\n"},
		"does not parse":         {"[package\n", ""},
	} {
		files := llb.Files{"Cargo.toml": []byte(c.manifest), "Cargo.lock": []byte("version = 3\n")}
		if c.config != "" {
			files[".cargo/config.toml"] = []byte(c.config)
		}
		if sk, ok := rustSkeleton(files); ok {
			t.Errorf("%s: a dependency layer %+v", name, sk)
		}
	}
}

func TestRelativePath(t *testing.T) {
	for p, want := range map[string]bool{"src/main.rs": true, "./a/../b.rs": true, "": false, ".": false, "..": false, "../a.rs": false, "a/../../b.rs": false, "/a.rs": false} {
		if got := relativePath(p); got != want {
			t.Errorf("relativePath(%q) = %v, want %v", p, got, want)
		}
	}
}

// buildGraph runs Build on a project of files, for linux/amd64.
func buildGraph(t *testing.T, files llb.Files) *llbtest.Graph {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte("language: rust\nartifacts: [app]\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := &llb.BuildInput{
		Spec: s, Files: files, Target: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Builder: llb.Image{State: bkllb.Image("docker.io/library/rust:1-trixie")},
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

// The layer is keyed by the manifests alone and compiles with the crate's own flags; the crate's
// compile takes the layer's target directory on a writable mount, with no cache mount over it.
func TestDependencyLayerLLB(t *testing.T) {
	g := buildGraph(t, llb.Files{
		"Cargo.toml": []byte("[package]\nname = \"app\"\n\n[dependencies]\nitoa = \"1\"\n"),
		"Cargo.lock": []byte("version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"),
	})
	skel := g.Named(t, SkeletonStep)
	acts := skel.Op.GetFile().GetActions()
	if cp := acts[0].GetCopy(); cp == nil || !slices.Equal(cp.IncludePatterns, manifestFiles) || cp.Timestamp != SourceTime.UnixNano() {
		t.Errorf("the skeleton's copy = %v, want the manifest files alone with SourceTime", acts[0])
	}
	if mk := acts[len(acts)-1].GetMkfile(); mk.GetPath() != "/src/src/main.rs" || string(mk.GetData()) != dummyMain {
		t.Errorf("the skeleton's last action = %v, want the dummy src/main.rs", acts[len(acts)-1])
	}
	fetch := g.Named(t, "cargo fetch --locked into the dependency layer")
	deps := g.Named(t, DepsStep+" for linux/amd64")
	clean := g.Named(t, "cargo clean the dummy app out of the dependency layer")
	compile := g.Named(t, "cargo install --locked app for linux/amd64 into /hardened/out")
	if !g.DependsOn(fetch, skel.Digest) || !g.DependsOn(deps, fetch.Digest) || !g.DependsOn(clean, deps.Digest) {
		t.Error("the layer is not skeleton, fetch, build, clean")
	}
	if g.DependsOn(deps, g.Named(t, "copy source").Digest) {
		t.Error("the dependency layer depends on the source copy")
	}
	depArgs, compileArgs := deps.Op.GetExec().GetMeta().GetArgs(), compile.Op.GetExec().GetMeta().GetArgs()
	if flags := depArgs[5:]; !slices.Contains(flags, "--config") || len(flags) != 2 || !slices.Equal(flags, compileArgs[9:11]) {
		t.Errorf("the dependencies build with %q, the crate with %q: cargo would take the layer for stale", depArgs, compileArgs)
	}
	for _, o := range []llbtest.Op{deps, clean, compile} {
		if o.Op.GetExec().Network != pb.NetMode_NONE {
			t.Errorf("%s has network", o.Name)
		}
	}
	var target bool
	for _, m := range compile.Op.GetExec().GetMounts() {
		if m.MountType == pb.MountType_CACHE {
			t.Errorf("the compile mounts the cache %q over %s", m.CacheOpt.GetID(), m.Dest)
		}
		if m.Dest == rustTargetDir {
			in, _ := g.Input(compile, int(m.Input))
			target = !m.Readonly && m.Selector == rustTargetDir && in.Digest == clean.Digest
		}
	}
	if !target {
		t.Error("the compile has no writable mount of the layer's target directory")
	}
}

// A workspace keeps the shared target cache mount.
func TestWorkspaceHasNoDependencyLayer(t *testing.T) {
	g := buildGraph(t, llb.Files{"Cargo.toml": []byte("[workspace]\nmembers = [\"app\"]\n"), "Cargo.lock": []byte("version = 3\n")})
	for _, o := range g.Ops {
		if o.Name == SkeletonStep || strings.HasPrefix(o.Name, DepsStep) {
			t.Errorf("a workspace runs %q", o.Name)
		}
	}
}

// The skeleton copies vendored crates with VendorTime, in the past: with SourceTime, in the future, every
// build script that names rerun-if-changed files would run again in the compile, and so would the
// compile of its crate and of every crate depending on it, the layer notwithstanding.
func TestSkeletonCopiesVendoredCratesWithAPastTime(t *testing.T) {
	g := buildGraph(t, llb.Files{
		"Cargo.toml":         []byte("[package]\nname = \"app\"\n\n[dependencies]\nitoa = \"1\"\n"),
		"Cargo.lock":         []byte("version = 3\n"),
		".cargo/config.toml": []byte(vendoredConfig),
	})
	acts := g.Named(t, SkeletonStep).Op.GetFile().GetActions()
	if cp := acts[0].GetCopy(); cp == nil || slices.Contains(cp.IncludePatterns, "third_party/vendor") {
		t.Errorf("the manifests' copy = %v, want no vendored crate in it", acts[0])
	}
	cp := acts[1].GetCopy()
	if cp == nil || !slices.Equal(cp.IncludePatterns, []string{"third_party/vendor"}) || cp.Timestamp != VendorTime.UnixNano() || !VendorTime.Before(time.Now()) {
		t.Errorf("the skeleton's second copy = %v, want third_party/vendor alone with VendorTime, in the past", acts[1])
	}
}
