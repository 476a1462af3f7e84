package lang

import (
	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
	"github.com/hardenedbuild/hardened/spec"
)

// Language is everything the product knows of one language.
type Language interface {
	// Name is the spec's language value.
	Name() string
	// Inputs are the context files the language reads and the spec fields it uses.
	Inputs() Inputs
	// Validate is the language's own rules; fields it does not use are refused by the registry.
	Validate(s *spec.Spec) spec.Errors
	// Builder is the builder image and the platform it runs on; an empty Ref means none (Build
	// then works from the context alone).
	Builder(s *spec.Spec, files llb.Files, target, build ocispecs.Platform) (llb.ImageRequest, error)
	// Base is the final stage's base; an empty Ref means scratch.
	Base(s *spec.Spec, files llb.Files, target ocispecs.Platform) (llb.ImageRequest, error)
	// BaseNeedsFiles says Base depends on the context files for this spec; when false it gives
	// the same answer without them, so the base resolves while they are read.
	BaseNeedsFiles(s *spec.Spec) bool
	// Entrypoint is the exec-form entrypoint when the spec has none; files are the context files
	// (nil before they are read), since a binary's name can come from them.
	Entrypoint(s *spec.Spec, files llb.Files) []string
	// ArtifactName is an artifact's name under /app; most languages use spec.ArtifactName, Go
	// names a module root's binary after the module.
	ArtifactName(artifact string, files llb.Files) string
	// ImageEnv are the language's defaults for the image's environment for this spec (nil:
	// none); the spec's env wins.
	ImageEnv(s *spec.Spec) map[string]string
	// Layout says how the artifacts reach /app.
	Layout() Layout
	// Build makes the builder stage: every artifact at llb.OutDir and, for a dependency tree
	// installed from the manifests alone, where that tree is (nil: none).
	Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error)
	// Detect is what `hardened init` finds of the language in a directory; nil when it finds
	// no project of it (Inputs' Markers).
	Detect(dir string) (*Detection, error)
	// Packages are the language's packages a build holds, for the SBOM: those the image ships
	// under sbom.AppDir, and those compiled in that only the builder's files (at llb.SrcDir) name.
	Packages(image, builder sbom.FS) []sbom.Package
	// Includes are the references of the language's project files to files outside the build
	// context, which the build refuses (llb/includes.go says why).
	Includes(files llb.Files) []llb.Include
	// Describe is the language's part of spec fields' descriptions, by field path, for the schema:
	// what version and artifacts mean for it, and the fields only it uses.
	Describe() map[string]string
}

// Inputs are what a language reads besides the spec's common fields.
type Inputs struct {
	// Manifests are small project files, read with the spec before the language is known.
	Manifests []string
	// Needed are the Manifests the language cannot build without, whatever the spec says: one the
	// context's .dockerignore excludes is refused, or the build would fail later without naming why.
	Needed []string
	// LockFiles are read once the language is known (they can be large). Missing files are fine.
	LockFiles []string
	// Fields are the spec fields the language uses of those only some languages use
	// (OptionalFields); a spec setting another is refused.
	Fields []string
	// Markers are the files (or directories) `hardened init` recognises a project by.
	Markers []string
	// BuilderImages are the repositories of the official images a Dockerfile builds the language in
	// (golang, node...): `hardened init` finds a Dockerfile's builder stage by them.
	BuilderImages []string
	// VersionTags says those images' tags start with the language's version (golang:1.26-trixie),
	// which init carries over into the spec.
	VersionTags bool
}

// Files are every context file the language reads.
func (in Inputs) Files() []string {
	return append(append([]string(nil), in.Manifests...), in.LockFiles...)
}

// OptionalFields are the spec fields not every language uses.
var OptionalFields = []string{"cgo", "build.ldflags", "build.tags", "version", "base", "build.env",
	"build.script", "build.steps", "build.packages", "runtime.jre", "runtime.files"}

// Layout says how a language's artifacts reach /app, and what the image needs for them to run.
type Layout struct {
	// AppDir: the builder lays the whole app out at llb.OutDir, copied onto /app as it is.
	AppDir bool
	// InContext: artifacts are paths of the build context, checked before the build.
	InContext bool
	// AsIs: they reach the image as they are in the context, so their modes are checked too.
	AsIs bool
	// RuntimeLibs are the Debian packages the language's runtime needs for this spec beyond its
	// runtime.libs (nil: none). plan.New adds them to the plan's list; a spec is never changed.
	RuntimeLibs func(s *spec.Spec) []string
}

// ArtifactNames are the names the spec's artifacts have under /app.
func ArtifactNames(l Language, s *spec.Spec, files llb.Files) []string {
	var names []string
	for _, a := range s.Artifacts {
		names = append(names, l.ArtifactName(a, files))
	}
	return names
}

// ImageEnv is the image's environment the spec asks for: the language's defaults, then its env.
func ImageEnv(l Language, s *spec.Spec) map[string]string {
	defaults := l.ImageEnv(s)
	if len(defaults) == 0 {
		return s.Env
	}
	env := map[string]string{}
	for k, v := range defaults {
		env[k] = v
	}
	for k, v := range s.Env {
		env[k] = v
	}
	return env
}

// FirstArtifact is the entrypoint of a language whose artifacts are executables: /app/<first>.
func FirstArtifact(s *spec.Spec) []string {
	if len(s.Artifacts) == 0 {
		return nil
	}
	return []string{llb.ArtifactDir + "/" + spec.ArtifactName(s.Artifacts[0])}
}
