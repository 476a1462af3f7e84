package llb

import (
	"path"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

func init() { register(static{}) }

// static builds nothing: the artifacts are prebuilt files of the context (tools a team did
// not compile), placed at /app/<name> on the chosen base with the same hardening as any
// build. With no builder image there is nothing to run build steps in.
type static struct{}

func (static) Name() string { return "static" }

func (static) ArtifactsInContext() {}

func (static) ContextFiles() []string { return nil }

func (static) Validate(s *spec.Spec) spec.Errors {
	return unsupported(s, "static", append(goOnlyFields, "version", "build.env", "build.script", "build.steps", "build.packages")...)
}

// Builder asks for no image: the files come from the context as they are.
func (static) Builder(*spec.Spec, Files, ocispecs.Platform, ocispecs.Platform) (ImageRequest, error) {
	return ImageRequest{}, nil
}

func (static) Build(in *BuildInput) (bkllb.State, error) {
	fa := bkllb.Mkdir(OutDir, 0o755, bkllb.WithParents(true))
	for _, a := range in.Spec.Artifacts {
		fa = fa.Copy(in.Context, "/"+path.Clean(a), OutDir+"/"+spec.ArtifactName(a), &bkllb.CopyInfo{FollowSymlinks: true})
	}
	return bkllb.Scratch().Platform(in.Target).File(fa, bkllb.WithCustomName("take the prebuilt artifacts from the context"),
		in.Locate("artifacts")), nil
}
