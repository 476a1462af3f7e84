package frontend

import (
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/spec"
)

// withSpecSource attaches hardened.yaml positions to an error, so docker buildx build
// prints the offending lines with a caret as it does for a Dockerfile. The message
// itself already names FILE:LINE:COL for clients that do not render sources.
func withSpecSource(err error, sm *bkllb.SourceMap, at ...spec.Pos) error {
	if err == nil || sm == nil || spec.Sensitive(err) {
		// A secret-looking value stands on the lines a client would print around the caret.
		return err
	}
	var ranges []*pb.Range
	if errs, ok := spec.AsErrors(err); ok {
		// The lines shown with a caret are those of the problems shown: at most spec.MaxProblems.
		for _, e := range errs.Bounded() {
			at = append(at, e.Pos)
		}
	}
	for _, p := range at {
		if p.Line < 1 {
			continue
		}
		ranges = append(ranges, &pb.Range{
			Start: &pb.Position{Line: int32(p.Line), Character: int32(max(p.Col-1, 0))},
			End:   &pb.Position{Line: int32(p.Line), Character: int32(max(p.Col-1, 0))},
		})
	}
	if len(ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{
		Info: &pb.SourceInfo{
			Data:       sm.Data,
			Filename:   sm.Filename,
			Language:   sm.Language,
			Definition: sm.Definition.ToPB(),
		},
		Ranges: ranges,
	})
}
