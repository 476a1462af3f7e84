package main

import (
	"fmt"
)

// overheadCase is where the frontend overhead is read: warm enough that nothing is pulled, with a builder op that
// runs.
var overheadCases = []string{"source", "warm", "deps", "cold"}

func frontendOverhead(res *ExampleResults) *Overhead {
	for _, name := range overheadCases {
		c := res.find(name)
		if c == nil {
			continue
		}
		a, okA := c.FirstOp["A"]
		b, okB := c.FirstOp["B"]
		if okA && okB {
			return &Overhead{Case: name, AFirstOp: a, BFirstOp: b, OverheadS: a - b, FrontendStart: c.FrontendStart}
		}
	}
	return nil
}

func (r *ExampleResults) find(name string) *Case {
	for _, c := range r.Cases {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// why explains a missed goal and what would fix it, as far as the measurements show; render prints each note
// once, under the goals that name it.
var why = map[string]string{
	"cold": "A pays for the frontend before the build proper: the Dockerfile frontend reads the # syntax line, " +
		"resolves and pulls ghcr.io/hardenedbuild/hardened:1 and starts it; the frontend then resolves the bases " +
		"(concurrently), lists the base's tree for setuid files and the result's for the self-check (16 gateway " +
		"calls in flight). Fix: run the base scan as a cached LLB step keyed by the base digest.",
	"rebuild": "on a warm builder the build proper is all cache hits, so the frontend's fixed cost is most of " +
		"A's time: starting the frontend image (the # syntax resolution), resolving the bases, the artifact check " +
		"on the context, and listing the base and the result (setuid scan, self-check) through the gateway, which " +
		"a Dockerfile build does not do at all. Fix: run the scan and the self-check as LLB steps (a static " +
		"checker binary with the trees mounted), so BuildKit caches them by digest and a warm build skips both.",
	"ci": "after the wipe, A's build imports its cache from the registry like B's; a ratio above 1 is the " +
		"frontend's fixed cost on top of the same imported steps.",
	"size": "A's final image carries more than B's (see layers and files). Fix: drop what the extra layer adds.",
	"overhead": "the first builder op waits for the frontend image to be resolved and started and for the " +
		"frontend's own image resolutions (already concurrent). Fix: a smaller, faster-starting frontend binary " +
		"(no otel exporters), and resolving the builder before reading the lock.",
	"frontend": "the frontend binary links BuildKit's client and gateway packages. Fix: -ldflags=-s -w, trim " +
		"imports (no otel exporters, no dockerfile2llb), and compress nothing the registry compresses anyway.",
	"failed": "A failed; the error is in the Build time section.",
}

func goals(all *Results) []Goal {
	var gs []Goal
	for _, res := range all.Examples {
		for _, g := range exampleGoals(res) {
			g.Example = res.Name
			gs = append(gs, g)
		}
	}
	if f := all.Frontend.Image; f != nil {
		g := Goal{Goal: "frontend image size (registry manifest: layers, config, manifest)", Target: "< 15 MB",
			Value: fmt.Sprintf("%s compressed, %s uncompressed", human(f.Compressed), human(f.Uncompressed)),
			Met:   f.Compressed < 15e6}
		if !g.Met {
			g.Why = "frontend"
		}
		gs = append(gs, g)
	}
	return gs
}

func exampleGoals(res *ExampleResults) []Goal {
	var gs []Goal
	res.Overhead = frontendOverhead(res)
	for _, c := range res.Cases {
		limit, key := 1.0, "rebuild"
		switch c.Name {
		case "cold":
			limit, key = 1.05, "cold"
		case "ci":
			key = "ci"
		}
		g := Goal{Goal: "A/B time, " + c.Name, Target: fmt.Sprintf("<= %.2f", limit)}
		switch {
		case len(c.Failures["A"]) > 0:
			g.Value = fmt.Sprintf("A failed %d of %d runs", len(c.Failures["A"]), len(c.Builds["A"]))
			key = "failed"
		case c.RatioAB == 0:
			g.Value = "not measured (B failed)"
			key = "failed"
			g.Note = "B failed; the error is in the Build time section."
		default:
			g.Value = fmt.Sprintf("%.2f", c.RatioAB)
			g.Met = c.RatioAB <= limit
		}
		if !g.Met {
			g.Why = key
		}
		gs = append(gs, g)
	}
	if a, b := res.Images["A"], res.Images["B"]; a != nil && b != nil {
		g := Goal{Goal: "image size, A vs B", Target: "<= B",
			Value: fmt.Sprintf("%s vs %s compressed, %s vs %s uncompressed", human(a.Compressed), human(b.Compressed), human(a.Uncompressed), human(b.Uncompressed)),
			Met:   a.Compressed <= b.Compressed && a.Uncompressed <= b.Uncompressed}
		if !g.Met {
			g.Why = "size"
		}
		gs = append(gs, g)
	}
	if o := res.Overhead; o != nil {
		g := Goal{Goal: "frontend overhead (median, first builder op of A minus B's)", Target: "< 100 ms",
			Value: fmt.Sprintf("%.0f ms (A %.0f ms, B %.0f ms from launching buildx, %s case; %.0f ms of it starting the frontend container)",
				o.OverheadS*1000, o.AFirstOp*1000, o.BFirstOp*1000, o.Case, o.FrontendStart*1000),
			Met: o.OverheadS < 0.1}
		if !g.Met {
			g.Why = "overhead"
		}
		gs = append(gs, g)
	}
	return gs
}
