package llb

import (
	"fmt"
	"strings"
)

// DebugTarget is the build target of the troubleshooting image: the same build on the
// distroless :debug-nonroot variant of the base, which adds a busybox shell under /busybox.
// It is never the default and is labelled so no one ships it by mistake.
const DebugTarget = "debug"

// LabelVariant marks a debug image; a release image has no such label.
const LabelVariant = "io.hardenedbuild.variant"

// DebugBase is the :debug-nonroot variant of a distroless base request. Scratch and images
// without a debug variant have none.
func DebugBase(req ImageRequest) (ImageRequest, error) {
	name, ok := strings.CutSuffix(req.Ref, ":nonroot")
	if !ok || !strings.HasPrefix(req.Ref, distrolessRepo) {
		return ImageRequest{}, fmt.Errorf("the %s target needs a distroless base with a :debug-nonroot variant; %s has none", DebugTarget, req.Ref)
	}
	req.Ref = name + ":debug-nonroot"
	req.Role = "debug-base"
	return req, nil
}
