package frontend

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// docsURL is where each spec rule is explained.
const docsURL = "https://github.com/hardenedbuild/hardened/blob/main/docs/spec.md"

// buildArgs are the build args the frontend reads, as `--call outline` lists them.
var buildArgs = []outline.Arg{
	{Name: "SOURCE_DATE_EPOCH", Description: "seconds since 1970 stamped on the image config and the artifacts"},
	{Name: "BUILDKIT_CACHE_MOUNT_NS", Description: "prefix of every cache-mount id"},
	{Name: "HTTP_PROXY", Description: "proxy for the builder stage only, never the image"},
	{Name: "HTTPS_PROXY", Description: "proxy for the builder stage only, never the image"},
	{Name: "NO_PROXY", Description: "proxy exceptions for the builder stage only"},
}

// subrequests answers `docker buildx build --call targets|outline|check`. s is nil
// when the spec did not load; loadErr then says why, and check reports it as findings.
func subrequests(s *spec.Spec, loadErr error, sm *bkllb.SourceMap) dockerui.RequestHandler {
	return dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) {
			if loadErr != nil {
				return nil, withSpecSource(loadErr, sm)
			}
			return &targets.List{Targets: []targets.Target{
				{Name: ImageTarget, Default: true, Description: "the hardened " + s.Language + " image"},
				{Name: hllb.DebugTarget, Description: "the same image on the distroless :debug-nonroot base (busybox shell), labelled " + hllb.LabelVariant + "=debug; never for production"},
				{Name: LockTarget, Description: "hardened.lock: every image the build uses, pinned by digest (-o type=local,dest=.)"},
			}}, nil
		},
		Outline: func(context.Context) (*outline.Outline, error) {
			if loadErr != nil {
				return nil, withSpecSource(loadErr, sm)
			}
			o := &outline.Outline{
				Name:        "image",
				Description: "the hardened " + s.Language + " image",
				Args:        slices.Clone(buildArgs),
				Sources:     [][]byte{sm.Data},
			}
			for _, k := range slices.Sorted(maps.Keys(s.Build.Args)) {
				o.Args = append(o.Args, outline.Arg{Name: k, Value: s.Build.Args[k], Description: "build arg of the builder stage (build.args)",
					Location: location(s.Pos("build.args." + k))})
			}
			for i, sec := range s.Build.Secrets {
				o.Secrets = append(o.Secrets, outline.Secret{Name: sec.ID, Required: !sec.Optional,
					Location: location(s.Pos(fmt.Sprintf("build.secrets[%d].id", i)))})
			}
			for i, id := range s.Build.SSH {
				o.SSH = append(o.SSH, outline.SSH{Name: id, Required: true, Location: location(s.Pos(fmt.Sprintf("build.ssh[%d]", i)))})
			}
			return o, nil
		},
		Lint: func(context.Context) (*lint.LintResults, error) {
			return lintResults(s, loadErr, sm)
		},
		AllowOther: true,
	}
}

// lintResults turns spec problems into check findings at their positions, plus the
// hardening policy's warnings for a spec that is valid but weaker than it could be.
func lintResults(s *spec.Spec, loadErr error, sm *bkllb.SourceMap) (*lint.LintResults, error) {
	res := &lint.LintResults{}
	idx := res.AddSource(sm)
	if loadErr != nil {
		errs, ok := spec.AsErrors(loadErr)
		if !ok {
			return nil, loadErr
		}
		for _, e := range errs {
			res.AddWarning("InvalidSpec", "hardened.yaml is not valid", docsURL, e.Error(), idx, ranges(e.Pos))
		}
		return res, nil
	}
	for _, w := range PolicyWarnings(s) {
		res.AddWarning(w.Rule, w.Description, docsURL, w.Error.Error(), idx, ranges(w.Pos))
	}
	return res, nil
}

// Warning is a hardening-policy finding on a valid spec.
type Warning struct {
	Rule        string
	Description string
	spec.Error
}

// PolicyWarnings lists what a valid spec leaves weaker than the defaults allow.
func PolicyWarnings(s *spec.Spec) []Warning {
	var out []Warning
	add := func(rule, desc, field, msg, hint string) {
		out = append(out, Warning{Rule: rule, Description: desc, Error: spec.Error{
			File: s.File(), Pos: s.Pos(field), Field: field, Msg: msg, Hint: hint,
		}})
	}
	if s.Healthcheck == nil {
		add("NoHealthcheck", "the image has no HEALTHCHECK", "language",
			"no healthcheck: orchestrators without probes cannot tell a hung service (CIS 4.6)",
			"add healthcheck: {test: [/app/server, -check]}, or waive HX-CONFIG-HEALTHCHECK if the platform probes it")
	}
	if w := hllb.DebianWarning(s, time.Now()); w != nil {
		out = append(out, Warning{Rule: "EndOfLifeBase", Description: "the spec builds on images that no longer get security fixes", Error: *w})
	}
	if s.Base == "scratch" {
		add("ScratchBase", "scratch has no CA certificates, tzdata or passwd", "base",
			"base scratch ships no CA certificates, time zones or /etc/passwd, and scanners cannot identify an OS",
			"use base: static unless you need an empty image")
	}
	return out
}

// location is a spec position as an outline location in the spec source (index 0).
func location(p spec.Pos) *pb.Location {
	if p.Line < 1 {
		return nil
	}
	r := &pb.Position{Line: int32(p.Line), Character: int32(max(p.Col-1, 0))}
	return &pb.Location{Ranges: []*pb.Range{{Start: r, End: r}}}
}

func ranges(p spec.Pos) []parser.Range {
	if p.Line < 1 {
		return nil
	}
	return []parser.Range{{Start: parser.Position{Line: p.Line, Character: max(p.Col-1, 0)}, End: parser.Position{Line: p.Line, Character: max(p.Col-1, 0)}}}
}

// warnEndOfLife puts the warning for a spec that asks for end-of-life bases into the build's progress
// output at the spec's line, as the Dockerfile frontend shows its lint warnings; the build goes on.
func warnEndOfLife(ctx context.Context, src *dockerui.Source, s *spec.Spec, now time.Time) {
	w := hllb.DebianWarning(s, now)
	if w == nil || src == nil || src.Warn == nil {
		return
	}
	opts := gwclient.WarnOpts{Level: 1, URL: docsURL, Detail: [][]byte{[]byte(w.Hint)}}
	if l := location(w.Pos); l != nil {
		opts.Range = l.Ranges
	}
	src.Warn(ctx, w.Error(), opts)
}
