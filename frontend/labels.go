package frontend

import (
	"fmt"
	"sort"
	"strconv"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/spec"
)

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
		// The same rule as the spec's labels (spec.ReservedLabel): the build's own names are its word alone.
		if spec.ReservedLabel(k) {
			return fmt.Errorf("--label %s: the build records this label itself (what it was built from); leave it out", strconv.QuoteToASCII(k))
		}
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		img.Config.Labels[k] = labels[k]
	}
	return nil
}
