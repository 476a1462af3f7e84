package golang

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
	"github.com/hardenedbuild/hardened/spec"
)

// golang builds main packages with the official golang image, cross-compiling on the
// build platform (GOOS/GOARCH) so no target is ever emulated, unless cgo needs the
// target's C toolchain.
type Language struct{}

// Packages is empty: the frontend reads Go modules from the binaries' own build info.
func (Language) Packages(_, _ sbom.FS) []sbom.Package { return nil }

// Describe is the language's part of the spec fields' descriptions.
func (Language) Describe() map[string]string {
	return map[string]string{
		"version":   "1.26 or 1.26.8, default from go.mod",
		"artifacts": "main packages, each binary at /app/<name>",
	}
}

func (Language) Name() string { return "go" }

func (Language) Inputs() lang.Inputs {
	return lang.Inputs{Manifests: []string{"go.mod", "go.work"}, Needed: []string{"go.mod"},
		Fields: []string{"cgo", "build.ldflags", "build.tags", "version", "base", "build.env", "build.steps", "build.packages", "runtime.files"}, Markers: []string{"go.mod"},
		BuilderImages: []string{"golang"}, VersionTags: true}
}

func (Language) Layout() lang.Layout { return lang.Layout{InContext: true} }

func (Language) Base(s *spec.Spec, _ llb.Files, target ocispecs.Platform) (llb.ImageRequest, error) {
	return llb.DistrolessBase(s, target), nil
}

func (Language) BaseNeedsFiles(*spec.Spec) bool { return false }

// Entrypoint is /app/<first artifact's binary>, named after the module when files hold go.mod.
func (l Language) Entrypoint(s *spec.Spec, files llb.Files) []string {
	if len(s.Artifacts) == 0 {
		return nil
	}
	return []string{llb.ArtifactDir + "/" + l.ArtifactName(s.Artifacts[0], files)}
}

func (Language) ImageEnv(*spec.Spec) map[string]string { return nil }

func (Language) Builder(s *spec.Spec, files llb.Files, target, build ocispecs.Platform) (llb.ImageRequest, error) {
	v, field, err := goVersion(s, files)
	if err != nil {
		return llb.ImageRequest{}, err
	}
	platform := build
	if s.CGO {
		platform = target
	}
	return llb.ImageRequest{
		Ref:      "docker.io/library/golang:" + v + "-" + llb.DebianOf(s).Codename,
		Role:     "builder",
		Platform: platform,
		Field:    field,
	}, nil
}

var (
	goModToolchain = regexp.MustCompile(`(?m)^toolchain\s+go(1\.\d+(?:\.\d+)?)\s*(?://.*)?$`)
	goModGo        = regexp.MustCompile(`(?m)^go\s+(1\.\d+)(?:\.\d+)?(?:rc\d+)?\s*(?://.*)?$`)
)

// goVersion picks the toolchain: the spec's version, else go.mod's toolchain line
// (exact), else its go line (the minor's newest patch, which satisfies it). Both lines are minimums:
// one older than the Debian release's first golang image builds with the newest Go (newestGo).
func goVersion(s *spec.Spec, files llb.Files) (version, field string, err error) {
	if s.Version != "" {
		if goMinor(s.Version) < llb.DebianOf(s).GoFrom {
			return "", "", goTooOld(s)
		}
		return s.Version, "version", nil
	}
	mod, ok := files["go.mod"]
	if !ok {
		return "", "", spec.Errors{{
			File: s.File(), Pos: s.Pos("language"), Field: "language",
			Msg:  "no go.mod at the root of the build context",
			Hint: "run `go mod init` in the context, or build from the module's directory",
		}}
	}
	for _, re := range []*regexp.Regexp{goModToolchain, goModGo} {
		if m := re.FindSubmatch(mod); m != nil {
			if goMinor(string(m[1])) < llb.DebianOf(s).GoFrom {
				return newestGo, "language", nil
			}
			return string(m[1]), "language", nil
		}
	}
	return "", "", spec.Errors{{
		File: s.File(), Pos: s.Pos("language"), Field: "version",
		Msg:  "go.mod has no go or toolchain line to take the Go version from",
		Hint: "write version: 1.26 in the spec, or add a go line to go.mod",
	}}
}

// newestGo is the tag of the newest Go release: golang:1-<codename>.
const newestGo = "1"

// goMinor is N of 1.N or 1.N.P; 0 when v is not one.
func goMinor(v string) int {
	minor, _, _ := strings.Cut(strings.TrimPrefix(v, "1."), ".")
	n, _ := strconv.Atoi(minor)
	return n
}

// goTooOld refuses a version the official image has no tag of for the spec's Debian release.
func goTooOld(s *spec.Spec) error {
	g := llb.DebianOf(s)
	return spec.Errors{{File: s.File(), Pos: s.Pos("version"), Field: "version",
		Msg:  fmt.Sprintf("%q: the official golang image has no %s tag for Go %s; its %s tags start at 1.%d", s.Version, g.Codename, s.Version, g.Codename, g.GoFrom),
		Hint: fmt.Sprintf("write version: \"1.%d\" or newer, or leave version out to build with go.mod's go line (a minimum: a newer Go builds the module)", g.GoFrom)}}
}

func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	s := in.Spec
	mod := llb.CacheMount(in.CacheNS, "go", "mod", GoModCacheMount, bkllb.CacheMountShared)
	build := llb.CacheMount(in.CacheNS, "go", "build", GoCache, bkllb.CacheMountShared)
	env := goEnv(s, in.Target)

	// go.mod and go.sum first, so a source change reuses the module download.
	st := in.Builder.State.File(bkllb.Copy(in.Context, "/", llb.SrcDir, &bkllb.CopyInfo{
		IncludePatterns:     []string{"go.mod", "go.sum"},
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
	}), bkllb.WithCustomName("copy go.mod and go.sum"), in.Locate("language"))
	// One step downloads into the shared cache mount, then stages the modules into the builder's own
	// layer from it (GoModulesCommand): a cache mount's content is in no layer, and a build that imports
	// this step from a remote cache (--cache-from on a fresh builder) has an empty mount, so the compile
	// reads only the staged copy.
	st = st.Run(append([]bkllb.RunOption{
		bkllb.Args(GoModulesCommand(s)),
		bkllb.Dir(llb.SrcDir), mod, in.Network,
		bkllb.WithCustomName(ModulesStep), in.Locate("language"),
	}, env...)...).Root()

	// Without the spec and its lock (llb.DecidingFiles): a comment edited there re-runs no step.
	source := sourceState(in)
	// The first compile seeds the shared cache mount from the dependency layer (deps.go).
	var seed bkllb.RunOption
	if Layered(in.Files) {
		seed = depsLayer(in, st, source, build, env)
	}
	st = st.File(bkllb.Copy(source, "/", llb.SrcDir, &bkllb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
	}), bkllb.WithCustomName("copy source"), in.Locate("language"))

	for i, a := range s.Artifacts {
		args := []string{"go", "build", "-trimpath", "-ldflags", GoLdflags(s)}
		if len(s.Build.Tags) > 0 {
			args = append(args, "-tags", strings.Join(s.Build.Tags, ","))
		}
		args = append(args, "-o", llb.OutDir+"/"+BinaryName(a, in.Files["go.mod"]), a)
		opts := []bkllb.RunOption{bkllb.Args(args)}
		if seed != nil && i == 0 {
			opts = []bkllb.RunOption{bkllb.Args(SeededCommand(args)), seed}
		}
		// Modules are already downloaded: the compile gets no network at all.
		st = st.Run(append(append(opts,
			bkllb.Dir(llb.SrcDir), build,
			bkllb.Network(pb.NetMode_NONE),
			bkllb.AddEnv("GOPROXY", "off"),
			bkllb.WithCustomName("compile "+a+" for "+llb.PlatformString(in.Target)),
			in.Locate(fmt.Sprintf("artifacts[%d]", i)),
		), env...)...).Root()
	}
	return st, nil, nil
}

// ModulesStep names the step that downloads the modules and stages them for the offline compile.
const ModulesStep = "go mod download, and stage the modules for the offline compile"

// goModulesScript runs as sh -c SCRIPT NAME PROXY: the first go mod download fills the shared cache
// mount (GOMODCACHE set to it), the second stages every module into the builder's own GOMODCACHE
// (/go/pkg/mod) from the mount, falling back to PROXY, the spec's proxy, which arrives as an argument
// and is never part of the script.
const goModulesScript = `GOMODCACHE=` + GoModCacheMount + ` go mod download && GOPROXY="file://` + GoModCacheMount + `/cache/download,$1" exec go mod download`

// GoModulesCommand is the download and staging step's command, for a Dockerfile to run the same.
func GoModulesCommand(s *spec.Spec) []string {
	return []string{"sh", "-c", goModulesScript, "hardened-go-modules", GoProxy(s)}
}

// GoModCacheMount is where the shared module cache is mounted; the builder's own
// GOMODCACHE (/go/pkg/mod) holds the staged copy the compile reads.
const GoModCacheMount = "/root/.cache/go-mod"

// GoProxy is the proxy the staging step falls back to: the spec's, else Go's default.
func GoProxy(s *spec.Spec) string {
	if p := s.Build.Env["GOPROXY"]; p != "" {
		return p
	}
	return "https://proxy.golang.org,direct"
}

// GoLdflags strips symbols and the build id unless the spec sets its own; the build id
// is always cleared, because it changes with paths and breaks reproducible output.
func GoLdflags(s *spec.Spec) string {
	f := s.Build.Ldflags
	if f == "" {
		f = "-s -w"
	}
	if !strings.Contains(f, "-buildid") {
		f += " -buildid="
	}
	return f
}

func goEnv(s *spec.Spec, target ocispecs.Platform) []bkllb.RunOption {
	cgo := "0"
	if s.CGO {
		cgo = "1"
	}
	env := []bkllb.RunOption{
		bkllb.AddEnv("CGO_ENABLED", cgo),
		bkllb.AddEnv("GOOS", target.OS),
		bkllb.AddEnv("GOARCH", target.Architecture),
		bkllb.AddEnv("GOTOOLCHAIN", "local"),
		bkllb.AddEnv("GOMODCACHE", "/go/pkg/mod"),
		bkllb.AddEnv("GOCACHE", GoCache),
	}
	switch {
	case target.Architecture == "arm" && strings.HasPrefix(target.Variant, "v"):
		env = append(env, bkllb.AddEnv("GOARM", strings.TrimPrefix(target.Variant, "v")))
	case target.Architecture == "amd64" && strings.HasPrefix(target.Variant, "v"):
		env = append(env, bkllb.AddEnv("GOAMD64", target.Variant))
	}
	return append(env, llb.BuilderEnv(s)...)
}

func (Language) Validate(*spec.Spec) spec.Errors { return nil }
