package rust

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// rust builds a Cargo project's binaries in the official rust image, with the registry and the target
// directory in cache mounts and no network for the compile, and ships them on distroless cc (glibc
// and libgcc), or on distroless static for a musl target. A package builds with `cargo install
// --path . --locked` (the release profile, binaries put in /out by the same step); a workspace with
// `cargo build --release --locked` and a copy of the binaries out of the target cache.
//
// Artifacts are binary names, as `cargo build --bin NAME` takes them (a [[bin]] target, or the
// package of a src/main.rs); each lands at /app/<name>. The builder runs on the target platform:
// rustc links with the target's C toolchain, as Go does with cgo.
//
// It is a Runtime only in that it picks its own base (cc, or static for musl) and entrypoint:
// Build leaves nothing but the binaries in /out, so the final stage's /app is exactly those.
type Language struct{}

// Paths in the builder: the target directory is a cache mount, outside the source so a target/
// the context holds can never shadow it.
const (
	rustTargetDir      = "/root/.cache/cargo-target"
	rustCargoHome      = "/usr/local/cargo" // the official image's CARGO_HOME
	rustCargoHomeRemap = "/cargo"
	// rustInstallRoot is cargo install's --root: its bin is a link to OutDir.
	rustInstallRoot = "/hardened/cargo"
)

// SourceTime is the modification time of every file of the source copy in the builder.
var SourceTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// VendorTime is that of vendored crates' files instead: a build script's rerun-if-changed compares its
// files' times with its last run, so a time in the future would rerun it, and recompile the crate and
// its dependents, on every build (a dependency layer's serde, syn and the like, each time).
var VendorTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Describe is the language's part of the spec fields' descriptions.
func (Language) Describe() map[string]string {
	return map[string]string{
		"version":   "1.83 or 1.83.0, from 1.72, default from rust-toolchain.toml, else the newest stable",
		"artifacts": "binary names, as cargo build --bin takes them",
	}
}

func (Language) Name() string { return "rust" }

func (Language) Inputs() lang.Inputs {
	return lang.Inputs{Manifests: []string{"Cargo.toml", "rust-toolchain.toml", "rust-toolchain", ".cargo/config.toml", ".cargo/config"},
		LockFiles: []string{"Cargo.lock"}, Fields: []string{"version", "base", "build.env", "build.steps", "build.packages", "runtime.files"}, Markers: []string{"Cargo.toml"},
		BuilderImages: []string{"rust"}, VersionTags: true}
}

func (Language) Layout() lang.Layout { return lang.Layout{AppDir: true} }

// BaseNeedsFiles: a musl target, from the toolchain files, changes the base.
func (Language) BaseNeedsFiles(*spec.Spec) bool { return true }

var (
	rustVersionForm = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)
	rustBinName     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)
)

func (Language) Validate(s *spec.Spec) spec.Errors {
	var errs spec.Errors
	if v := s.Version; v != "" && !rustVersionForm.MatchString(v) {
		errs = append(errs, spec.Error{Field: "version", Msg: fmt.Sprintf("%q is not a Rust version", v),
			Hint: `write a release, e.g. version: "1.83" or "1.83.0" (no channel names such as stable or nightly)`})
	} else if e := rustTooOld(s, "version", spec.Pos{}, "", v); e != nil {
		errs = append(errs, *e)
	}
	for i, a := range s.Artifacts {
		if !rustBinName.MatchString(a) {
			errs = append(errs, spec.Error{Field: fmt.Sprintf("artifacts[%d]", i), Msg: fmt.Sprintf("%q is not a Cargo binary name", a),
				Hint: "write the name of a binary as `cargo build --bin NAME` takes it, e.g. server (a [[bin]] name, or the package of src/main.rs)"})
		}
	}
	if s.Base == "scratch" {
		errs = append(errs, spec.Error{Field: "base", Msg: "language rust does not build for scratch",
			Hint: "write base: static for a musl binary (distroless static adds only CA certificates, tzdata and /etc/passwd), or cc (the default) for glibc"})
	}
	return errs
}

func (Language) Builder(s *spec.Spec, files llb.Files, target, _ ocispecs.Platform) (llb.ImageRequest, error) {
	v, field, err := rustVersion(s, files)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	if _, ok := files["Cargo.lock"]; !ok {
		return llb.ImageRequest{}, rustError(s, "no Cargo.lock at the root of the build context; cargo build --locked builds exactly what it locks",
			"run `cargo generate-lockfile` and add Cargo.lock to the context")
	}
	if _, _, err := rustTarget(s, files, target); err != nil {
		return llb.ImageRequest{}, err
	}
	return llb.ImageRequest{
		Ref:      "docker.io/library/rust:" + v + "-" + llb.DebianOf(s).Codename,
		Role:     "builder",
		Platform: target,
		Field:    field,
	}, nil
}

func (Language) Base(s *spec.Spec, files llb.Files, target ocispecs.Platform) (llb.ImageRequest, error) {
	_, musl, err := rustTarget(s, files, target)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	variant, field := "cc", "language"
	switch {
	case s.Base != "":
		variant, field = s.Base, "base"
	case musl:
		variant = "static"
	}
	return llb.Distroless(s, variant, target, field), nil
}

func (Language) Entrypoint(s *spec.Spec, _ llb.Files) []string { return lang.FirstArtifact(s) }

func (Language) ArtifactName(artifact string, _ llb.Files) string { return spec.ArtifactName(artifact) }

func (Language) ImageEnv(*spec.Spec) map[string]string { return nil }

func rustError(s *spec.Spec, msg, hint string) error {
	return spec.Errors{{File: s.File(), Pos: s.Pos("language"), Field: "language", Msg: msg, Hint: hint}}
}

// rustNewest is the official image's tag for the newest stable release.
const rustNewest = "1"

// rustVersion is the spec's version, else rust-toolchain.toml's channel (or the legacy
// rust-toolchain file's) when it names a release, else the newest stable. Cargo.toml's
// rust-version is the oldest Rust the package builds with, not the one to build with: newer
// dependencies may refuse it.
func rustVersion(s *spec.Spec, files llb.Files) (version, field string, err error) {
	if s.Version != "" {
		if e := rustTooOld(s, "version", s.Pos("version"), "", s.Version); e != nil {
			return "", "", spec.Errors{*e}
		}
		return s.Version, "version", nil
	}
	for _, f := range []string{"rust-toolchain.toml", "rust-toolchain"} {
		dt, ok := files[f]
		if !ok {
			continue
		}
		ch := tomlString(dt, "toolchain", "channel")
		if ch == "" && f == "rust-toolchain" && !bytes.Contains(dt, []byte("[")) {
			ch = strings.TrimSpace(string(dt)) // the legacy one-line form
		}
		if rustVersionForm.MatchString(ch) {
			if e := rustTooOld(s, "version", s.Pos("language"), f+" pins "+ch+": ", ch); e != nil {
				return "", "", spec.Errors{*e}
			}
			return ch, "language", nil
		}
	}
	if _, ok := files["Cargo.toml"]; !ok {
		return "", "", rustError(s, "no Cargo.toml at the root of the build context", "run `cargo init` in the context, or build from the package's or workspace's directory")
	}
	return rustNewest, "language", nil
}

// rustTooOld refuses a release older than the first rust image of the spec's Debian release;
// from says where a release not written in the spec came from ("rust-toolchain.toml pins ").
func rustTooOld(s *spec.Spec, field string, pos spec.Pos, from, v string) *spec.Error {
	g := llb.DebianOf(s)
	minor, _, _ := strings.Cut(strings.TrimPrefix(v, "1."), ".")
	if n, err := strconv.Atoi(minor); err != nil || n >= g.RustFrom {
		return nil
	}
	if from == "" {
		from = fmt.Sprintf("%q: ", v)
	}
	return &spec.Error{File: s.File(), Pos: pos, Field: field,
		Msg: fmt.Sprintf("%sthe official rust image has no %s tag for Rust %s; its %s tags start at 1.%d", from, g.Codename, v, g.Codename, g.RustFrom),
		Hint: fmt.Sprintf("write version: \"1.%d\" or newer, or leave version out to build with the newest stable (rust:%s-%s); Cargo.toml's rust-version is only the oldest Rust the package accepts",
			g.RustFrom, rustNewest, g.Codename)}
}

// rustMuslTriples are the musl targets by platform, for base: static.
var rustMuslTriples = map[string]string{
	"amd64":   "x86_64-unknown-linux-musl",
	"arm64":   "aarch64-unknown-linux-musl",
	"386":     "i686-unknown-linux-musl",
	"arm/v7":  "armv7-unknown-linux-musleabihf",
	"arm/v6":  "arm-unknown-linux-musleabihf",
	"riscv64": "riscv64gc-unknown-linux-musl",
	"ppc64le": "powerpc64le-unknown-linux-musl",
}

// rustHostTriples are the official image's rustup hosts by platform: its toolchain directory is
// <RUST_VERSION>-<host>.
var rustHostTriples = map[string]string{
	"amd64":   "x86_64-unknown-linux-gnu",
	"arm64":   "aarch64-unknown-linux-gnu",
	"386":     "i686-unknown-linux-gnu",
	"arm/v7":  "armv7-unknown-linux-gnueabihf",
	"ppc64le": "powerpc64le-unknown-linux-gnu",
	"s390x":   "s390x-unknown-linux-gnu",
	"riscv64": "riscv64gc-unknown-linux-gnu",
}

// rustToolchainName is the installed toolchain's full name for the builder's platform, else the version
// alone (which rustup takes too).
func rustToolchainName(version string, target ocispecs.Platform) string {
	if host := rustHostTriples[rustPlatformKey(target)]; host != "" {
		return version + "-" + host
	}
	return version
}

// rustToolchainFile says whether the context has a rust-toolchain file, which rustup would obey.
func rustToolchainFile(files llb.Files) bool {
	_, toml := files["rust-toolchain.toml"]
	_, legacy := files["rust-toolchain"]
	return toml || legacy
}

// rustPlatformKey keys the triple tables: the architecture, with the variant for arm.
func rustPlatformKey(target ocispecs.Platform) string {
	if target.Architecture == "arm" {
		return target.Architecture + "/" + target.Variant
	}
	return target.Architecture
}

// rustTripleArch is the platform architecture of a triple's first component.
var rustTripleArch = map[string]string{
	"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "i586": "386", "armv7": "arm", "arm": "arm",
	"riscv64gc": "riscv64", "powerpc64le": "ppc64le", "s390x": "s390x",
}

// rustTarget is the target triple to pass to cargo, empty for the builder's own (glibc) target:
// build.env's CARGO_BUILD_TARGET, else .cargo/config.toml's build.target, else the platform's
// musl triple when the spec asks for base: static. musl says the binary is static.
func rustTarget(s *spec.Spec, files llb.Files, target ocispecs.Platform) (triple string, musl bool, err error) {
	triple = s.Build.Env["CARGO_BUILD_TARGET"]
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		if dt, ok := files[f]; ok && triple == "" {
			triple = tomlString(dt, "build", "target")
		}
	}
	if triple == "" && s.Base == "static" {
		if triple = rustMuslTriples[rustPlatformKey(target)]; triple == "" {
			return "", false, spec.Errors{{File: s.File(), Pos: s.Pos("base"), Field: "base",
				Msg:  "no musl target is known for " + llb.PlatformString(target),
				Hint: "set CARGO_BUILD_TARGET in build.env to the musl triple, or write base: cc"}}
		}
	}
	if triple == "" {
		return "", false, nil
	}
	arch, _, _ := strings.Cut(triple, "-")
	if a, ok := rustTripleArch[arch]; ok && a != target.Architecture {
		return "", false, rustError(s, "the target triple "+triple+" does not build for "+llb.PlatformString(target),
			"build for the platform that matches the triple (--platform), or drop the triple")
	}
	musl = strings.Contains(triple, "musl")
	if !musl && s.Base == "static" {
		return "", false, spec.Errors{{File: s.File(), Pos: s.Pos("base"), Field: "base",
			Msg:  "base static has no C library, so a " + triple + " binary cannot run on it",
			Hint: "write base: cc, or a musl target such as " + rustMuslTriples["amd64"]}}
	}
	return triple, musl, nil
}

// rustInstalls reports whether Cargo.toml is a package and not a workspace: then `cargo install
// --path .` builds the binaries and puts them in /out in one step. A workspace's binaries may be
// any member's, which cargo install (one package) does not take, so it gets cargo build and a copy.
func rustInstalls(files llb.Files) bool {
	manifest := tomlTables(files["Cargo.toml"])
	_, workspace := manifest["workspace"]
	return tomlString(files["Cargo.toml"], "package", "name") != "" && !workspace
}

// rustVendored reports whether .cargo/config.toml replaces crates.io with a directory of
// sources, the layout `cargo vendor` writes: then nothing is downloaded at all.
func rustVendored(files llb.Files) bool {
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		replace := tomlString(files[f], "source", "crates-io", "replace-with")
		if dir := tomlString(files[f], "source", replace, "directory"); replace != "" && dir != "" {
			return true
		}
	}
	return false
}

var lockRemoteSource = regexp.MustCompile(`(?m)^source\s*=\s*"(registry|sparse|git)\+`)

// rustNeedsFetch reports whether Cargo.lock names packages from a registry or git that are not
// vendored: only then does the build download, in a step of its own before the offline compile.
func rustNeedsFetch(files llb.Files) bool {
	return lockRemoteSource.Match(files["Cargo.lock"]) && !rustVendored(files)
}
