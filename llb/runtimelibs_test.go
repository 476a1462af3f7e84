package llb_test

import (
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	"github.com/hardenedbuild/hardened/lang/registry"
	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

const cgoLibsSpec = "language: go\ncgo: true\nartifacts: [./cmd/server]\nbuild:\n  packages: [libsqlite3-dev]\nruntime:\n  libs: [libsqlite3-0, libpq5]\n"

var goMod = hllb.Files{"go.mod": []byte("module x\n\ngo 1.26\n")}

func TestLibsImage(t *testing.T) {
	for _, tc := range []struct {
		name      string
		yaml      string
		target    string
		want      string
		onBuilder bool
	}{
		// cgo builds on the target, so the trixie builder serves.
		{"cgo builder", cgoLibsSpec, "amd64", "docker.io/library/golang:1.26-trixie", true},
		{"cgo builder arm64", cgoLibsSpec, "arm64", "docker.io/library/golang:1.26-trixie", true},
		// Without cgo the builder runs on the build platform, which is not the target's.
		{"cross builder", "language: go\nartifacts: [./a]\nruntime:\n  libs: [libpq5]\n", "arm64", "docker.io/library/debian:trixie", false},
		{"no builder", "language: static\nartifacts: [./a]\nruntime:\n  libs: [libpq5]\n", "amd64", "docker.io/library/debian:trixie", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.yaml)
			target := amd64
			if tc.target == "arm64" {
				target = arm64
			}
			lang, _ := registry.Lookup(s.Language)
			breq, err := lang.Builder(s, goMod, target, amd64)
			if err != nil {
				t.Fatal(err)
			}
			base, ok, err := baseImage(s, goMod, target)
			if err != nil || !ok || base.Ref != "gcr.io/distroless/base-debian13:nonroot" {
				t.Fatalf("base = %+v %v %v, want distroless base (libs need glibc)", base, ok, err)
			}
			req, onBuilder, err := hllb.LibsImage(s, base, breq, target)
			if err != nil {
				t.Fatal(err)
			}
			if req.Ref != tc.want || onBuilder != tc.onBuilder || req.Platform.Architecture != target.Architecture {
				t.Errorf("LibsImage = %s on %s (builder %v), want %s on %s (builder %v)", req.Ref, req.Platform.Architecture, onBuilder, tc.want, target.Architecture, tc.onBuilder)
			}
		})
	}
}

func TestDebianRelease(t *testing.T) {
	s := load(t, cgoLibsSpec)
	for ref, want := range map[string]string{
		"gcr.io/distroless/base-debian12:nonroot":     "bookworm",
		"gcr.io/distroless/base-debian13:nonroot":     "trixie",
		"gcr.io/distroless/cc-debian13":               "trixie",
		"gcr.io/distroless/nodejs18-debian12@sha256:": "bookworm",
		"gcr.io/distroless/base-debian11:latest":      "bullseye",
	} {
		if got, err := hllb.DebianRelease(s, ref); got != want || err != nil {
			t.Errorf("DebianRelease(%s) = %q, %v; want %q", ref, got, err, want)
		}
	}
	_, err := hllb.DebianRelease(s, "docker.io/library/alpine:3")
	if err == nil || !strings.Contains(err.Error(), "hardened.yaml:7:9: runtime.libs: the base docker.io/library/alpine:3 is not a distroless Debian image") {
		t.Errorf("alpine base: %v", err)
	}
}

// libsInputs resolves a spec with runtime.libs as the frontend would, the stage already read.
func libsInputs(t *testing.T, s *spec.Spec) (hllb.Inputs, bkllb.State) {
	t.Helper()
	in := resolved(t, s, goMod, amd64)
	in.CacheNS = "ns"
	st, err := hllb.RuntimeLibs(s, hllb.LibsInput{Packages: in.Plan.RuntimeLibs, Image: in.Builder, Base: *in.Base, CacheNS: in.CacheNS})
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := hllb.ReadLibs(s, in.Plan.RuntimeLibs, []byte("libsqlite3-0=3.40.1-2+deb12u1\nlibpq5=15.10-0+deb12u1\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	in.Libs = &hllb.Libs{State: st, Packages: pkgs}
	return in, st
}

func TestRuntimeLibsStage(t *testing.T) {
	s := load(t, cgoLibsSpec)
	_, st := libsInputs(t, s)
	g := llbtest.Marshal(t, st, bkllb.Platform(amd64))
	stage := g.Named(t, "runtime.libs: resolve libsqlite3-0 libpq5 on Debian trixie and unpack them the distroless way")
	ex := stage.Op.GetExec()
	args := ex.GetMeta().GetArgs()
	// The names are arguments after the script, never part of it.
	if len(args) != 7 || args[0] != "sh" || args[1] != "-c" || args[3] != "hardened-runtime-libs" || args[4] != "trixie" ||
		!slices.Equal(args[5:], []string{"libsqlite3-0", "libpq5"}) {
		t.Errorf("args = %q", args)
	}
	if strings.Contains(args[2], "libsqlite3") {
		t.Error("a package name is part of the script")
	}
	for _, want := range []string{"dpkg-deb -x", "dpkg-deb -f", "md5sums", "status.d", "-perm /6000", "copyright", "--no-install-recommends", "Dir::State::status"} {
		if !strings.Contains(args[2], want) {
			t.Errorf("the script lacks %q", want)
		}
	}
	var base bool
	for _, m := range ex.GetMounts() {
		switch m.Dest {
		case "/hardened/base":
			base = true
			if !m.Readonly {
				t.Error("the base is mounted writable")
			}
			if in, ok := g.Input(stage, int(m.Input)); !ok || !strings.Contains(in.Op.GetSource().GetIdentifier(), "distroless/base-debian13") {
				t.Errorf("/hardened/base is not the distroless base")
			}
		case "/var/lib/apt/lists", "/var/cache/apt":
			if m.MountType != pb.MountType_CACHE || m.CacheOpt.GetSharing() != pb.CacheSharingOpt_LOCKED || !strings.HasPrefix(m.CacheOpt.GetID(), "ns/hardened/apt/") {
				t.Errorf("mount %s = %v %v %q, want a locked cache ns/hardened/apt/...", m.Dest, m.MountType, m.CacheOpt.GetSharing(), m.CacheOpt.GetID())
			}
		}
	}
	if !base {
		t.Error("the base is not mounted into the stage")
	}
	if ex.Network == pb.NetMode_NONE {
		t.Error("the stage has no network, apt cannot download")
	}
}

func TestConvertWithRuntimeLibs(t *testing.T) {
	s := load(t, cgoLibsSpec)
	in, _ := libsInputs(t, s)
	res, g := convert(t, s, in)

	add := g.Named(t, "add runtime.libs: libpq5=15.10-0+deb12u1 libsqlite3-0=3.40.1-2+deb12u1")
	cp := findCopy(t, add, hllb.LibsRootfs)
	if cp.Dest != "/" || !cp.DirCopyContents || cp.ModeStr != "u-s,g-s" {
		t.Errorf("libs copy = %s -> %s contents %v mode %q", cp.Src, cp.Dest, cp.DirCopyContents, cp.ModeStr)
	}
	if base, ok := g.Input(add, 0); !ok || !strings.Contains(base.Op.GetSource().GetIdentifier(), "distroless/base-debian13") {
		t.Error("the libs are not added onto the distroless base")
	}
	final := g.Named(t, "copy artifacts to /app (root-owned, modes 0644/0755)")
	if !g.DependsOn(final, add.Digest) {
		t.Error("the artifacts are not copied after the libs")
	}
	if got := res.Image.Config.Labels[hllb.LabelRuntimeLibs]; got != "libpq5=15.10-0+deb12u1 libsqlite3-0=3.40.1-2+deb12u1" {
		t.Errorf("label = %q", got)
	}

	// build.packages: apt-get in the builder, before the compile, names as arguments.
	pkgs := g.Named(t, "build.packages: apt-get install libsqlite3-dev")
	args := pkgs.Op.GetExec().GetMeta().GetArgs()
	if len(args) != 5 || args[0] != "sh" || args[4] != "libsqlite3-dev" || strings.Contains(args[2], "libsqlite3") ||
		!strings.Contains(args[2], `--no-install-recommends`) || !strings.Contains(args[2], `-- "$@"`) {
		t.Errorf("build.packages args = %q", args)
	}
	assertLockedCache(t, pkgs, "/var/lib/apt/lists", "ns/hardened/apt/lists")
	assertLockedCache(t, pkgs, "/var/cache/apt", "ns/hardened/apt/cache")
	compile := g.Named(t, "compile ./cmd/server for linux/amd64")
	if !g.DependsOn(compile, pkgs.Digest) {
		t.Error("the compile does not follow build.packages")
	}
	if env := llbtest.Env(compile); env["CGO_ENABLED"] != "1" {
		t.Errorf("CGO_ENABLED = %q", env["CGO_ENABLED"])
	}
	if lower, ok := g.Input(final, 0); !ok || g.DependsOn(lower, pkgs.Digest) {
		t.Error("build.packages reach the final image other than through the artifacts")
	}
}

func TestConvertNeedsResolvedLibs(t *testing.T) {
	s := load(t, cgoLibsSpec)
	if _, err := hllb.Convert(s, resolved(t, s, goMod, amd64)); err == nil {
		t.Error("Convert built runtime.libs it was not given")
	}
}

func TestReadLibs(t *testing.T) {
	s := load(t, cgoLibsSpec)
	pkgs, err := hllb.ReadLibs(s, s.Runtime.Libs, []byte("libsqlite3-0=3.40.1-2+deb12u1\nlibpq5=1:15.10-0+deb12u1\n\n"), []byte(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].String() != "libpq5=1:15.10-0+deb12u1" || pkgs[1].String() != "libsqlite3-0=3.40.1-2+deb12u1" {
		t.Errorf("packages = %v", pkgs)
	}

	// Unknown packages come back at their entries, all of them; a stage problem at the list.
	_, err = hllb.ReadLibs(s, s.Runtime.Libs, nil, []byte("1\tN: Unable to locate package libpq5 E: No packages found\n-\tthe base is Debian trixie, but its name says bookworm\n"))
	es, ok := spec.AsErrors(err)
	if !ok || len(es) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	for i, want := range []string{
		`hardened.yaml:7:24: runtime.libs[1]: Debian has no package "libpq5" (apt: N: Unable to locate package libpq5 E: No packages found); write the name of a Debian binary package`,
		"hardened.yaml:7:9: runtime.libs: the base is Debian trixie, but its name says bookworm;",
	} {
		if !strings.HasPrefix(es[i].Error(), want) {
			t.Errorf("problem %d = %q, want %q", i, es[i], want)
		}
	}
	if _, err := hllb.ReadLibs(s, s.Runtime.Libs, []byte("libpq5\n"), nil); err == nil {
		t.Error("a line without a version was accepted")
	}
}

// A package the language added (after the spec's) that apt cannot find is reported at the list, by
// name, with a hint the user can act on; the spec's own stay at their entries.
func TestReadLibsLanguagePackage(t *testing.T) {
	s := load(t, cgoLibsSpec)
	names := append(slices.Clone(s.Runtime.Libs), "zlib1g")
	_, err := hllb.ReadLibs(s, names, nil, []byte("2\tE: Unable to locate package zlib1g\n0\tE: Unable to locate package libsqlite3-0\n"))
	es, ok := spec.AsErrors(err)
	if !ok || len(es) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	for i, want := range []string{
		`hardened.yaml:7:9: runtime.libs: Debian has no package "zlib1g" (apt: E: Unable to locate package zlib1g); the language's runtime needs it`,
		`hardened.yaml:7:10: runtime.libs[0]: Debian has no package "libsqlite3-0"`,
	} {
		if !strings.HasPrefix(es[i].Error(), want) {
			t.Errorf("problem %d = %q, want %q", i, es[i], want)
		}
	}
}

// The stage is made only for packages the plan names: an empty list is a caller's mistake.
func TestRuntimeLibsNeedsPackages(t *testing.T) {
	s := load(t, cgoLibsSpec)
	in := resolved(t, s, goMod, amd64)
	if _, err := hllb.RuntimeLibs(s, hllb.LibsInput{Image: in.Builder, Base: *in.Base}); err == nil {
		t.Error("a runtime-libs stage without packages was made")
	}
}
