package frontend

import (
	"strings"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestAddBuildLabels(t *testing.T) {
	img := &dockerspec.DockerOCIImage{}
	img.Config.Labels = map[string]string{"org.opencontainers.image.title": "from the spec", hllb.LabelBaseName: "gcr.io/distroless/static-debian13:nonroot"}
	if err := addBuildLabels(img, map[string]string{"org.opencontainers.image.title": "from --label", "org.opencontainers.image.revision": "abc123"}); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"org.opencontainers.image.title": "from --label", "org.opencontainers.image.revision": "abc123",
		hllb.LabelBaseName: "gcr.io/distroless/static-debian13:nonroot"} {
		if got := img.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	// Every label the build records is refused, and so is any other in the names it keeps for itself.
	for _, k := range []string{hllb.LabelBaseName, hllb.LabelBaseDigest, hllb.LabelRuntimeLibs, hllb.LabelVariant, "io.github.hardenedbuild.check"} {
		err := addBuildLabels(img, map[string]string{k: "x"})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("--label %s gave %v", k, err)
		}
	}
}
