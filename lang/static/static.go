package static

import (
	"path"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang"
	"github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/sbom"
	"github.com/hardenedbuild/hardened/spec"
)

// static builds nothing: the artifacts are prebuilt files of the context (tools a team did
// not compile), placed at /app/<name> on the chosen base with the same hardening as any
// build. With no builder image there is nothing to run build steps in.
type Language struct{}

// Packages is empty: a prebuilt file says nothing of what it was built from.
func (Language) Packages(_, _ sbom.FS) []sbom.Package { return nil }

// Includes are none: static reads no project file.
func (Language) Includes(llb.Files) []llb.Include { return nil }

// Describe is the language's part of the spec fields' descriptions.
func (Language) Describe() map[string]string {
	return map[string]string{
		"artifacts": "prebuilt files, each at /app/<name>",
	}
}

func (Language) Name() string { return "static" }

func (Language) Inputs() lang.Inputs { return lang.Inputs{Fields: []string{"base"}} }

func (Language) Layout() lang.Layout { return lang.Layout{InContext: true, AsIs: true} }

func (Language) Base(s *spec.Spec, _ llb.Files, target ocispecs.Platform) (llb.ImageRequest, error) {
	return llb.DistrolessBase(s, target), nil
}

func (Language) BaseNeedsFiles(*spec.Spec) bool { return false }

func (Language) Entrypoint(s *spec.Spec, _ llb.Files) []string { return lang.FirstArtifact(s) }

func (Language) ArtifactName(artifact string, _ llb.Files) string { return spec.ArtifactName(artifact) }

func (Language) ImageEnv(*spec.Spec) map[string]string { return nil }

func (Language) Validate(*spec.Spec) spec.Errors { return nil }

// Builder asks for no image: the files come from the context as they are.
func (Language) Builder(*spec.Spec, llb.Files, ocispecs.Platform, ocispecs.Platform) (llb.ImageRequest, error) {
	return llb.ImageRequest{}, nil
}

// Detect finds nothing: prebuilt files look like any other.
func (Language) Detect(string) (*lang.Detection, error) { return nil, nil }

func (Language) Build(in *llb.BuildInput) (bkllb.State, *llb.Deps, error) {
	fa := bkllb.Mkdir(llb.OutDir, 0o755, bkllb.WithParents(true))
	for _, a := range in.Spec.Artifacts {
		fa = fa.Copy(in.Context, "/"+path.Clean(a), llb.OutDir+"/"+spec.ArtifactName(a), &bkllb.CopyInfo{FollowSymlinks: true})
	}
	return bkllb.Scratch().Platform(in.Target).File(fa, bkllb.WithCustomName("take the prebuilt artifacts from the context"),
		in.Locate("artifacts")), nil, nil
}
