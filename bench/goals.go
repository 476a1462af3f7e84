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
	"cold": "before the build proper, A pulls and starts the frontend image (the # syntax line; about 8 MB " +
		"more pulled than B, and its container start), and it runs one step B has no counterpart for: the " +
		"frontend image's listing of the base's setuid/setgid files, which runs while the builder works and " +
		"is cached per base. The walk of the whole built image after the final stage (0.1-0.3 s, JRE and " +
		"CPython included) is gone: the definition proves the build adds no setuid/setgid bit, and the user " +
		"and entrypoint are read through the gateway. What is left comes after the first op: A runs more " +
		"steps than B where a language splits one RUN in two (java's javac and jar; python's compile of the " +
		"virtualenv apart from the app's, which keeps source rebuilds short), and static (no builder, a 1-2 s " +
		"build) pays the frontend's pull and container start in full. Fix: fewer builder steps for java.",
	"rebuild": "on a warm builder the build proper is all cache hits, so A's fixed cost decides: BuildKit " +
		"starting the frontend's container (55-75 ms in the traces; every # syntax frontend pays it, the " +
		"builtin Dockerfile frontend B uses does not), then the frontend's gateway round trips in turn (spec, " +
		".dockerignore, context files and lock, image resolution, the cached listing of the base's " +
		"setuid/setgid files: 30-40 ms), against a whole B build of 0.13-0.19 s with no change on this " +
		"machine. After a source change the self-check no longer runs a container (it did: 0.1-0.13 s per " +
		"rebuild), and node and python copy their dependency tree from the cached install step in a layer of " +
		"its own. Fix for the rest: dockerui reading .dockerignore alongside the spec (one transfer, not " +
		"three in turn); past that, BuildKit keeping gateway frontends warm between builds is the only way " +
		"past the container start.",
	"ci": "after the wipe, A imports its cache from the registry like B, and pays the frontend image pull " +
		"and its container start on top of the same imported steps, plus the listing of the base's " +
		"setuid/setgid files, which is not part of the exported cache (the image is not built on it). With " +
		"--cache-from the base is not prepared ahead: the final stage may come from the imported cache whole.",
	"size": "A's final image carries more than B's (see layers and files). Fix: drop what the extra layer adds.",
	"overhead": "the first builder op waits for BuildKit to start the frontend's container (the frontend " +
		"start figure) and for the frontend's reads and image resolutions (hardened.yaml, then .dockerignore, " +
		"then the context files, each a transfer of its own in dockerui's order). Fix: one transfer for " +
		"all of them, which needs dockerui to read the context's .dockerignore alongside the spec.",
	"frontend": "the frontend binary links BuildKit's client and gateway packages. Fix: -ldflags=-s -w, trim " +
		"imports (no otel exporters, no dockerfile2llb), and compress nothing the registry compresses anyway.",
	"failed": "A failed; the error is in the example's section.",
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
