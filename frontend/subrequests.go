package frontend

import (
	"context"

	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/targets"

	"github.com/hardenedbuild/hardened/spec"
)

// subrequests answers `docker buildx build --call ...` for a loaded spec.
func subrequests(s *spec.Spec) dockerui.RequestHandler {
	return dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) {
			return &targets.List{Targets: []targets.Target{{
				Name:        "image",
				Default:     true,
				Description: "the hardened " + s.Language + " image",
			}}}, nil
		},
		AllowOther: true,
	}
}
