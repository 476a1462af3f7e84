package frontend

import (
	"fmt"
	"sort"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// recordedLabels are the labels the build writes about what it built; --label cannot set them.
var recordedLabels = []string{hllb.LabelBaseName, hllb.LabelBaseDigest, hllb.LabelRuntimeLibs, hllb.LabelVariant}

// addBuildLabels applies `docker buildx build --label K=V` (the frontend's label:K options) to the
// image config: they override the spec's labels, as they override a Dockerfile's LABEL, but never
// one the build records about itself.
func addBuildLabels(img *dockerspec.DockerOCIImage, labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, r := range recordedLabels {
			if k == r {
				return fmt.Errorf("--label %s: the build records this label itself (what it was built from); leave it out", k)
			}
		}
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		img.Config.Labels[k] = labels[k]
	}
	return nil
}
