package rust_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/lang/rust"
	hllb "github.com/hardenedbuild/hardened/llb"
)

const rustCompile = "cargo install --locked server for linux/amd64 into /hardened/out"

func TestRustExampleLLB(t *testing.T) {
	s, files := loadDir(t, "rust")
	in := resolved(t, s, files, amd64)
	res, g := convert(t, s, in)

	// The newest stable Rust (Cargo.toml's rust-version is only a minimum); every image pinned by
	// digest; glibc runs on cc.
	wantSources := []string{
		"docker-image://docker.io/library/rust:1-trixie@" + golangDigest.String(),
		"docker-image://gcr.io/distroless/cc-debian13:nonroot@" + staticDigest.String(),
		"local://context",
	}
	got := g.Sources()
	slices.Sort(got)
	if !slices.Equal(got, wantSources) {
		t.Errorf("sources = %q, want %q", got, wantSources)
	}

	source := g.Named(t, "copy source")
	if ex := findCopy(t, source, "/").ExcludePatterns; !slices.Equal(ex, []string{"target", "hardened.yaml", "hardened.lock", "vendor"}) {
		t.Errorf("source copy excludes %q, want the context's target/ and vendor/, copied on its own", ex)
	}
	// One time in the future for every file: cargo never takes a local crate's older files for built.
	if ts := findCopy(t, source, "/").Timestamp; ts != rust.SourceTime.UnixNano() || !rust.SourceTime.After(time.Now()) {
		t.Errorf("source copy timestamp %d, want %v, in the future", ts, rust.SourceTime)
	}
	// /hardened/out and cargo install's root, whose bin links to it, are made in the same file op,
	// after the dependency layer's dummy src/main.rs is removed.
	acts := source.Op.GetFile().GetActions()
	if len(acts) != 6 || acts[0].GetRm().GetPath() != "/src/src/main.rs" || acts[3].GetMkdir().GetPath() != "/hardened/out" || acts[4].GetMkdir().GetPath() != "/hardened/cargo" ||
		acts[5].GetSymlink().GetOldpath() != "/hardened/out" || acts[5].GetSymlink().GetNewpath() != "/hardened/cargo/bin" {
		t.Errorf("the source copy's file op = %v, want it to drop the dummy, make /hardened/out and link /hardened/cargo/bin to it", acts)
	}
	// vendor/ comes with a time in the past: a future one reruns the crates' build scripts every build.
	if cp := acts[2].GetCopy(); !slices.Equal(cp.GetIncludePatterns(), []string{"vendor"}) || cp.GetTimestamp() != rust.VendorTime.UnixNano() || !rust.VendorTime.Before(time.Now()) {
		t.Errorf("the vendored crates' copy = %v, want vendor/ alone with VendorTime, in the past", acts[2])
	}

	// Vendored: no fetch step, and no step of the build has network but none.
	for _, o := range g.Execs() {
		if strings.HasPrefix(o.Name, "cargo fetch") {
			t.Errorf("a vendored project runs %q", o.Name)
		}
		if n := o.Op.GetExec().Network; n != pb.NetMode_NONE {
			t.Errorf("%s has network %v; the example's crates are vendored", o.Name, n)
		}
		for _, arg := range o.Op.GetExec().GetMeta().GetArgs() {
			if arg == "sh" || arg == "-c" {
				t.Errorf("%s runs a shell: %q", o.Name, o.Op.GetExec().GetMeta().GetArgs())
			}
		}
	}

	compile := g.Named(t, rustCompile)
	ex := compile.Op.GetExec()
	// The target directory is the dependency layer's (lang/rust's tests check that layer), no cache mount.
	deps := g.Named(t, "cargo clean the dummy server out of the dependency layer")
	for _, m := range ex.GetMounts() {
		if m.MountType == pb.MountType_CACHE {
			t.Errorf("the compile mounts the cache %s at %s", m.CacheOpt.GetID(), m.Dest)
		}
		if in, _ := g.Input(compile, int(m.Input)); m.Dest == "/root/.cache/cargo-target" && (m.Readonly || m.Selector != "/root/.cache/cargo-target" || in.Digest != deps.Digest) {
			t.Errorf("the target directory mount %+v is not a writable mount of the dependency layer's", m)
		}
	}
	args := ex.GetMeta().GetArgs()
	if !slices.Equal(args[:9], []string{"cargo", "install", "--path", ".", "--root", "/hardened/cargo", "--no-track", "--locked", "--offline"}) {
		t.Errorf("compile args = %q", args)
	}
	for _, want := range []string{"--bin", "server",
		`build.rustflags=["--remap-path-prefix=/src=.", "--remap-path-prefix=/usr/local/cargo=/cargo", "--remap-path-prefix=/root/.cache/cargo-target=target"]`} {
		if !slices.Contains(args, want) {
			t.Errorf("compile args %q lack %q", args, want)
		}
	}
	if slices.Contains(args, "--target") {
		t.Errorf("a glibc build passes --target: %q", args)
	}
	if cwd := ex.GetMeta().GetCwd(); cwd != "/src" {
		t.Errorf("compile runs in %q", cwd)
	}
	env := llbtest.Env(compile)
	for k, v := range map[string]string{"CARGO_HOME": "/usr/local/cargo", "CARGO_TARGET_DIR": "/root/.cache/cargo-target"} {
		if env[k] != v {
			t.Errorf("compile env %s = %q, want %q", k, env[k], v)
		}
	}
	if !g.DependsOn(compile, source.Digest) {
		t.Error("the compile does not follow the source copy")
	}

	// cargo install puts the binary in /hardened/out itself: no step after it copies it out of the cache.
	if len(g.Execs()) != 3 {
		t.Errorf("the build runs %d steps, want the dependencies' build and clean, and cargo install", len(g.Execs()))
	}
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	if cp := findCopy(t, final, "/hardened/out"); cp.Dest != "/app/" || cp.ModeStr != hllb.AppMode || cp.Owner.GetUser().GetByID() != 0 {
		t.Errorf("final copy = %s -> %s mode %q owner %v", cp.Src, cp.Dest, cp.ModeStr, cp.Owner)
	}
	if !g.DependsOn(final, compile.Digest) {
		t.Error("the final stage does not take /hardened/out from after cargo install")
	}
	if base, ok := g.Input(final, 0); !ok || !strings.Contains(base.Op.GetSource().GetIdentifier(), "distroless/cc-debian13") {
		t.Errorf("the final stage is not on distroless cc")
	}

	img := res.Image
	if !slices.Equal(img.Config.Entrypoint, []string{"/app/server"}) {
		t.Errorf("entrypoint = %q", img.Config.Entrypoint)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", img.Config.User, img.Config.WorkingDir)
	}
	if img.Config.Labels[hllb.LabelBaseName] != "gcr.io/distroless/cc-debian13:nonroot" || img.Config.Labels[hllb.LabelBaseDigest] != staticDigest.String() {
		t.Errorf("base labels = %v", img.Config.Labels)
	}
}

// rustFiles is a project with one crate from crates.io, not vendored.
func rustFiles(extra ...string) hllb.Files {
	f := hllb.Files{
		"Cargo.toml": []byte("[package]\nname = \"app\"\nversion = \"0.1.0\"\nrust-version = \"1.80.1\"\n"),
		"Cargo.lock": []byte("version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = []byte(extra[i+1])
	}
	return f
}

func TestRustFetchesOnlyWhatIsNotVendored(t *testing.T) {
	s := load(t, "language: rust\nartifacts: [app, tool]\n")
	in := resolved(t, s, rustFiles(), amd64)
	in.Builder.Config = &dockerspec.DockerOCIImage{}
	in.Builder.Config.Config.Env = []string{"CARGO_HOME=/opt/cargo", "RUST_VERSION=1.80.1"}
	_, g := convert(t, s, in)

	// The fetch is part of the dependency layer: the registry lands in its layer, no cache mount.
	fetch := g.Named(t, "cargo fetch --locked into the dependency layer")
	if fetch.Op.GetExec().Network == pb.NetMode_NONE {
		t.Error("cargo fetch has no network")
	}
	compile := g.Named(t, "cargo install --locked app tool for linux/amd64 into /hardened/out")
	if !g.DependsOn(compile, fetch.Digest) {
		t.Error("the compile does not follow the fetch")
	}
	if compile.Op.GetExec().Network != pb.NetMode_NONE {
		t.Error("the compile has network")
	}
	env := llbtest.Env(compile)
	if _, pinned := env["RUSTUP_TOOLCHAIN"]; env["CARGO_HOME"] != "/opt/cargo" || pinned {
		t.Errorf("compile env = %v: want the image's CARGO_HOME, and no toolchain pinned without a rust-toolchain file", env)
	}
	if args := compile.Op.GetExec().GetMeta().GetArgs(); !slices.Contains(args, "--remap-path-prefix=/opt/cargo=/cargo") &&
		!strings.Contains(strings.Join(args, " "), "--remap-path-prefix=/opt/cargo=/cargo") {
		t.Errorf("compile args %q do not remap CARGO_HOME", args)
	}
	if args := strings.Join(compile.Op.GetExec().GetMeta().GetArgs(), " "); !strings.HasSuffix(args, " --bin app --bin tool") {
		t.Errorf("compile args %q, want both binaries", args)
	}

	// The same lock with cargo vendor's source replacement downloads nothing.
	vendored := rustFiles(".cargo/config.toml", "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n")
	_, g = convert(t, s, resolved(t, s, vendored, amd64))
	for _, o := range g.Execs() {
		if strings.HasPrefix(o.Name, "cargo fetch") || o.Op.GetExec().Network != pb.NetMode_NONE {
			t.Errorf("vendored: %s runs with network %v", o.Name, o.Op.GetExec().Network)
		}
	}
}

func TestRustMuslRunsOnStatic(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		files      hllb.Files
		triple     string
		base       string
	}{
		{"base static", "base: static\n", rustFiles(), "x86_64-unknown-linux-musl", "static"},
		{"build.env", "build:\n  env:\n    CARGO_BUILD_TARGET: x86_64-unknown-linux-musl\n", rustFiles(), "x86_64-unknown-linux-musl", "static"},
		{"config.toml", "", rustFiles(".cargo/config.toml", "[build]\ntarget = \"x86_64-unknown-linux-musl\"\n"), "x86_64-unknown-linux-musl", "static"},
		{"musl on cc as written", "base: cc\nbuild:\n  env:\n    CARGO_BUILD_TARGET: x86_64-unknown-linux-musl\n", rustFiles(), "x86_64-unknown-linux-musl", "cc"},
		{"glibc on base", "base: base\n", rustFiles(), "", "base"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, "language: rust\nartifacts: [app]\n"+tc.yaml)
			res, g := convert(t, s, resolved(t, s, tc.files, amd64))
			if want := "gcr.io/distroless/" + tc.base + "-debian13:nonroot"; res.Image.Config.Labels[hllb.LabelBaseName] != want {
				t.Errorf("base = %q, want %q", res.Image.Config.Labels[hllb.LabelBaseName], want)
			}
			compile := g.Named(t, "cargo install --locked app for linux/amd64 into /hardened/out")
			args := compile.Op.GetExec().GetMeta().GetArgs()
			if tc.triple == "" {
				if slices.Contains(args, "--target") {
					t.Errorf("glibc: compile %q", args)
				}
				return
			}
			if i := slices.Index(args, "--target"); i < 0 || args[i+1] != tc.triple {
				t.Errorf("compile args %q, want --target %s", args, tc.triple)
			}
			// The official image has its host's standard library only: rustup adds the target's,
			// with network, before the source is copied (a source change keeps it cached).
			add := g.Named(t, "rustup target add "+tc.triple)
			if add.Op.GetExec().Network == pb.NetMode_NONE {
				t.Error("rustup target add has no network")
			}
			if g.DependsOn(add, g.Named(t, "copy source").Digest) {
				t.Error("rustup target add follows the source copy")
			}
			if !g.DependsOn(compile, add.Digest) {
				t.Error("the compile does not follow rustup target add")
			}
		})
	}

	s := load(t, "language: rust\nartifacts: [app]\nbase: static\n")
	res, _ := convert(t, s, resolved(t, s, rustFiles(), arm64))
	if got := res.Image.Config.Labels[hllb.LabelBaseName]; got != "gcr.io/distroless/static-debian13:nonroot" {
		t.Errorf("arm64 base = %q", got)
	}
	lang, _ := registry.Lookup("rust")
	if _, err := lang.Builder(s, rustFiles(), arm64, amd64); err != nil {
		t.Errorf("arm64 musl: %v", err)
	}
}

func TestRustVersion(t *testing.T) {
	lang, _ := registry.Lookup("rust")
	lock := "version = 3\n"
	for _, tc := range []struct {
		name, yaml string
		files      hllb.Files
		want       string
	}{
		{"spec", `version: "1.83"`, hllb.Files{"Cargo.toml": []byte("[package]\nrust-version = \"1.70\"\n")}, "1.83"},
		{"spec exact", `version: "1.83.0"`, hllb.Files{}, "1.83.0"},
		// rust-version is the oldest Rust the package accepts: the newest stable builds it.
		{"rust-version is a minimum", ``, hllb.Files{"Cargo.toml": []byte("[package]\nname = \"a\"\nrust-version = \"1.70\"  # MSRV\n")}, "1"},
		{"rust-version patch", ``, hllb.Files{"Cargo.toml": []byte("[package]\nrust-version = \"1.70.1\"\n")}, "1"},
		{"workspace", ``, hllb.Files{"Cargo.toml": []byte("[workspace]\nmembers = [\"a\"]\n\n[workspace.package]\nrust-version = \"1.75\"\n")}, "1"},
		{"toolchain file wins", ``, hllb.Files{
			"Cargo.toml":          []byte("[package]\nrust-version = \"1.70\"\n"),
			"rust-toolchain.toml": []byte("[toolchain]\nchannel = \"1.82.0\"\ncomponents = [\"clippy\"]\n"),
		}, "1.82.0"},
		{"legacy toolchain file", ``, hllb.Files{"rust-toolchain": []byte("1.81.0\n")}, "1.81.0"},
		{"channel name falls back", ``, hllb.Files{
			"Cargo.toml":          []byte("[package]\nrust-version = \"1.70\"\n"),
			"rust-toolchain.toml": []byte("[toolchain]\nchannel = \"stable\"\n"),
		}, "1"},
		{"no rust-version", ``, hllb.Files{"Cargo.toml": []byte("[package]\nname = \"a\"\n")}, "1"},
		{"debian 12", "version: \"1.67\"\ndebian: \"12\"", hllb.Files{}, "1.67-bookworm"},
		{"debian 12 newest", `debian: "12"`, hllb.Files{"Cargo.toml": []byte("[package]\n")}, "1-bookworm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, "language: rust\nartifacts: [app]\n"+tc.yaml+"\n")
			tc.files["Cargo.lock"] = []byte(lock)
			req, err := lang.Builder(s, tc.files, amd64, amd64)
			if err != nil {
				t.Fatal(err)
			}
			want := "docker.io/library/rust:" + tc.want
			if !strings.Contains(tc.want, "-") {
				want += "-trixie"
			}
			if req.Ref != want || req.Platform.Architecture != "amd64" {
				t.Errorf("builder = %s on %v, want %s", req.Ref, req.Platform, want)
			}
		})
	}
}

func TestRustErrorsPointAtTheSpec(t *testing.T) {
	lang, _ := registry.Lookup("rust")
	manifest := []byte("[package]\nrust-version = \"1.70\"\n")
	for _, tc := range []struct {
		yaml  string
		files hllb.Files
		want  string
	}{
		{"", hllb.Files{"Cargo.lock": []byte("version = 3\n")}, "hardened.yaml:1:11: language: no Cargo.toml at the root of the build context"},
		{"", hllb.Files{"Cargo.toml": manifest}, "hardened.yaml:1:11: language: no Cargo.lock at the root of the build context; cargo build --locked builds exactly what it locks; run `cargo generate-lockfile`"},
		{"base: static\nbuild:\n  env:\n    CARGO_BUILD_TARGET: x86_64-unknown-linux-gnu\n", rustFiles(), "hardened.yaml:3:7: base: base static has no C library, so a x86_64-unknown-linux-gnu binary cannot run on it"},
		{"build:\n  env:\n    CARGO_BUILD_TARGET: aarch64-unknown-linux-musl\n", rustFiles(), "hardened.yaml:1:11: language: the target triple aarch64-unknown-linux-musl does not build for linux/amd64"},
		{"version: \"1.71\"\n", rustFiles(), `hardened.yaml:3:10: version: "1.71": the official rust image has no trixie tag for Rust 1.71; its trixie tags start at 1.72; write version: "1.72" or newer, or leave version out to build with the newest stable (rust:1-trixie)`},
		{"version: \"1.66\"\ndebian: \"12\"\n", rustFiles(), `hardened.yaml:3:10: version: "1.66": the official rust image has no bookworm tag for Rust 1.66; its bookworm tags start at 1.67`},
		{"", rustFiles("rust-toolchain.toml", "[toolchain]\nchannel = \"1.70\"\n"), `hardened.yaml:1:11: version: rust-toolchain.toml pins 1.70: the official rust image has no trixie tag for Rust 1.70`},
	} {
		s := load(t, "language: rust\nartifacts: [app]\n"+tc.yaml)
		_, err := lang.Builder(s, tc.files, amd64, amd64)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error = %v, want prefix %q", tc.yaml, err, tc.want)
		}
	}
}

func TestRustSpecChecks(t *testing.T) {
	for yaml, want := range map[string]string{
		"language: rust\nversion: stable\nartifacts: [app]\n":           `hardened.yaml:2:10: version: "stable" is not a Rust version`,
		"language: rust\nartifacts: [./src/main.rs]\n":                  `hardened.yaml:2:13: artifacts[0]: "./src/main.rs" is not a Cargo binary name`,
		"language: rust\nartifacts: [app]\nbase: scratch\n":             "hardened.yaml:3:7: base: language rust does not build for scratch",
		"language: rust\nartifacts: [app]\ncgo: true\nbase: cc\n":       "hardened.yaml:3:6: cgo: language rust does not use cgo; remove it",
		"language: rust\nartifacts: [app]\nbuild:\n  ldflags: -s\n":     "hardened.yaml:4:12: build.ldflags: language rust does not use build.ldflags; remove it",
		"language: rust\nartifacts: [app]\nbuild:\n  script: release\n": "hardened.yaml:4:11: build.script: language rust does not use build.script; remove it",
	} {
		_, err := loadChecked(yaml)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error = %v, want prefix %q", yaml, err, want)
		}
	}
	if _, err := loadChecked("language: rust\nversion: \"1.83.0\"\nartifacts: [server, my_tool-2]\nbase: base\n"); err != nil {
		t.Errorf("a valid rust spec: %v", err)
	}
}

func TestRustSpecRustflagsKeepTheRemap(t *testing.T) {
	s := load(t, "language: rust\nartifacts: [app]\nbuild:\n  env:\n    RUSTFLAGS: -C target-cpu=x86-64-v2\n")
	_, g := convert(t, s, resolved(t, s, rustFiles(), amd64))
	compile := g.Named(t, "cargo install --locked app for linux/amd64 into /hardened/out")
	if got := llbtest.Env(compile)["RUSTFLAGS"]; !strings.HasPrefix(got, "-C target-cpu=x86-64-v2 --remap-path-prefix=/src=. ") {
		t.Errorf("RUSTFLAGS = %q, want the spec's then the path remapping", got)
	}
	if args := compile.Op.GetExec().GetMeta().GetArgs(); slices.Contains(args, "--config") {
		t.Errorf("compile args %q: RUSTFLAGS overrides build.rustflags anyway", args)
	}
}

// A workspace's binaries may be any member's, and cargo install takes one package: cargo build
// builds them and a second exec-form step copies them out of the target cache.
func TestRustWorkspaceBuildsAndCopiesOut(t *testing.T) {
	for name, manifest := range map[string]string{
		"virtual":             "[workspace]\nmembers = [\"app\", \"tool\"]\n\n[workspace.package]\nrust-version = \"1.80\"\n",
		"package and members": "[package]\nname = \"app\"\nrust-version = \"1.80\"\n\n[workspace]\nmembers = [\"tool\"]\n",
		"workspace.package":   "[package]\nname = \"app\"\nrust-version = \"1.80\"\n\n[workspace.package]\nedition = \"2021\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := load(t, "language: rust\nartifacts: [app, tool]\n")
			_, g := convert(t, s, resolved(t, s, rustFiles("Cargo.toml", manifest), amd64))
			compile := g.Named(t, "cargo build --release --locked app tool for linux/amd64")
			if args := compile.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args[:5], []string{"cargo", "build", "--release", "--locked", "--offline"}) {
				t.Errorf("compile args = %q", args)
			}
			out := g.Named(t, "copy app tool out of the target cache into /hardened/out")
			if args := out.Op.GetExec().GetMeta().GetArgs(); !slices.Equal(args, []string{"cp", "--",
				"/root/.cache/cargo-target/release/app", "/root/.cache/cargo-target/release/tool", "/hardened/out/"}) {
				t.Errorf("copy-out args = %q", args)
			}
			assertLockedCache(t, out, "/root/.cache/cargo-target", "hardened/rust/target")
			if !g.DependsOn(out, compile.Digest) {
				t.Error("the copy out of the target cache does not follow the compile")
			}
			if !g.DependsOn(g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)"), out.Digest) {
				t.Error("the final stage does not take /hardened/out from after the copy out of the cache")
			}
			for _, a := range g.Named(t, "copy source").Op.GetFile().GetActions() {
				if a.GetSymlink() != nil {
					t.Error("a workspace build links cargo install's bin")
				}
			}
		})
	}
}

// A rust-toolchain file would make rustup switch toolchains: the image's is pinned by the name rustup
// installed it under (<version>-<host>), whose rustc cargo must find to keep its rustc information cached.
func TestRustPinsTheToolchainOnlyForAToolchainFile(t *testing.T) {
	for _, c := range []struct {
		file     string
		platform ocispecs.Platform
		want     string
	}{
		{"rust-toolchain.toml", amd64, "1.80.1-x86_64-unknown-linux-gnu"},
		{"rust-toolchain", ocispecs.Platform{OS: "linux", Architecture: "arm64"}, "1.80.1-aarch64-unknown-linux-gnu"},
		{"rust-toolchain.toml", ocispecs.Platform{OS: "linux", Architecture: "mips64le"}, "1.80.1"},
	} {
		s := load(t, "language: rust\nversion: \"1.80\"\nartifacts: [app]\n")
		files := rustFiles()
		files[c.file] = []byte("[toolchain]\nchannel = \"stable\"\n")
		in := resolved(t, s, files, c.platform)
		in.Builder.Config = &dockerspec.DockerOCIImage{}
		in.Builder.Config.Config.Env = []string{"RUST_VERSION=1.80.1", "RUSTUP_HOME=/usr/local/rustup"}
		_, g := convert(t, s, in)
		for _, o := range g.Execs() {
			if strings.HasPrefix(o.Name, "cargo install") {
				if got := llbtest.Env(o)["RUSTUP_TOOLCHAIN"]; got != c.want {
					t.Errorf("%s on %s: RUSTUP_TOOLCHAIN = %q, want %q", c.file, c.platform.Architecture, got, c.want)
				}
			}
		}
	}
}
