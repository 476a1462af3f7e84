package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/hardenedbuild/hardened/integration/stack"
)

type bench struct {
	st   *stack.Stack
	ws   *workspace
	runs int
	// ciRuns is the CI case's run count: each run is two cold builds, one exporting the whole cache.
	ciRuns int
	reg    *registryLog
	// trace, when set, is the directory that keeps every build's progress stream.
	trace  string
	traced int
}

// Case is one timed scenario: every run of every variant, and the medians.
type Case struct {
	Name   string             `json:"name"`
	Desc   string             `json:"description"`
	Builds map[string][]build `json:"builds"` // by variant
	Median map[string]float64 `json:"median_seconds"`
	Pulled map[string]int64   `json:"median_bytes_pulled"`
	// PulledCache (ci) is the part of Pulled that is the build's own layers, from the registry cache.
	PulledCache map[string]int64 `json:"median_cache_bytes_pulled,omitempty"`
	// DepsLayer (ci) is the median compressed size of A's dependency layer in its exported cache: the layers
	// holding the example's dependency layer path (example.DepsLayer); 0 when it has none.
	DepsLayer int64              `json:"median_dependency_layer_bytes,omitempty"`
	FirstOp   map[string]float64 `json:"median_first_op_seconds,omitempty"`
	// FrontendStart is A's median container start (frontendStart), PeerFrontendStart S's.
	FrontendStart     float64 `json:"median_frontend_start_seconds,omitempty"`
	PeerFrontendStart float64 `json:"median_peer_frontend_start_seconds,omitempty"`
	// TestStep is the median of what A's test step took (0: from the cache); nil when A had no test step.
	TestStep *float64            `json:"median_test_step_seconds,omitempty"`
	Failures map[string][]string `json:"failures,omitempty"`
	// RatioAB is median(A)/median(B); 0 when either failed every run. RatioAS and RatioSB compare A and B
	// with S, B's Dockerfile through the docker/dockerfile:1 image.
	RatioAB float64 `json:"ratio_a_b"`
	RatioAS float64 `json:"ratio_a_s,omitempty"`
	RatioSB float64 `json:"ratio_s_b,omitempty"`
}

func newCase(name, desc string) *Case {
	return &Case{Name: name, Desc: desc, Builds: map[string][]build{}, Median: map[string]float64{},
		Pulled: map[string]int64{}, PulledCache: map[string]int64{}, FirstOp: map[string]float64{}, Failures: map[string][]string{}}
}

func (c *Case) add(v variant, r build) {
	c.Builds[v.Name] = append(c.Builds[v.Name], r)
}

// finish computes medians over the successful runs.
func (c *Case) finish() {
	for name, bs := range c.Builds {
		var secs, first, feStart, tests []float64
		var pulled, cache []int64
		for _, b := range bs {
			if b.Error != "" {
				c.Failures[name] = append(c.Failures[name], b.Error)
				continue
			}
			secs = append(secs, b.Seconds)
			pulled, cache = append(pulled, b.BytesPulled), append(cache, b.CacheBytesPulled)
			if b.FirstOpSeconds > 0 {
				first = append(first, b.FirstOpSeconds)
			}
			if b.FrontendStartSeconds > 0 {
				feStart = append(feStart, b.FrontendStartSeconds)
			}
			if b.TestStepSeconds != nil {
				tests = append(tests, *b.TestStepSeconds)
			}
		}
		if len(secs) > 0 {
			c.Median[name] = median(secs)
			c.Pulled[name] = median(pulled)
			if c.Name == "ci" {
				c.PulledCache[name] = median(cache)
			}
		}
		if len(first) > 0 {
			c.FirstOp[name] = median(first)
		}
		if len(feStart) > 0 && name == "A" {
			c.FrontendStart = median(feStart)
		}
		if len(feStart) > 0 && name == "S" {
			c.PeerFrontendStart = median(feStart)
		}
		if len(tests) > 0 && name == "A" {
			m := median(tests)
			c.TestStep = &m
		}
	}
	ratio := func(x, y string) float64 {
		if a, b := c.Median[x], c.Median[y]; a > 0 && b > 0 {
			return a / b
		}
		return 0
	}
	c.RatioAB, c.RatioAS, c.RatioSB = ratio("A", "B"), ratio("A", "S"), ratio("S", "B")
}

// rotated gives each run another variant order, so neither goes first every time.
func rotated(vs []variant, i int) []variant {
	i %= len(vs)
	return append(slices.Clone(vs[i:]), vs[:i]...)
}

// checkCases refuses a case name runCases does not know, before anything is built.
func checkCases(names []string) error {
	for _, n := range names {
		switch n {
		case "cold", "warm", "source", "deps", "ci":
		default:
			return fmt.Errorf("unknown case %q (cold, warm, source, deps, ci)", n)
		}
	}
	return nil
}

func (b *bench) runCases(ctx context.Context, names []string, res *ExampleResults) error {
	all := map[string]func(context.Context, *ExampleResults) (*Case, error){
		"cold": b.cold, "warm": b.warm, "source": b.source, "deps": b.deps, "ci": b.ci,
	}
	for _, n := range names {
		f := all[n]
		if n == "deps" && b.ws.ex.addDependency == nil {
			continue // no dependency change written for this example
		}
		if err := b.ws.reset(); err != nil {
			return err
		}
		c, err := f(ctx, res)
		if err != nil {
			return fmt.Errorf("case %s: %w", n, err)
		}
		c.finish()
		res.Cases = append(res.Cases, c)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return b.ws.reset()
}

// cold: buildkitd emptied before every build; the base images come from the local registry.
func (b *bench) cold(ctx context.Context, _ *ExampleResults) (*Case, error) {
	c := newCase("cold", "empty buildkitd (buildctl prune --all) before each build; bases pulled from the local registry")
	logf("%s: case cold (%d runs)", b.ws.ex.Name, b.runs)
	for i := 0; i < b.runs; i++ {
		for _, v := range rotated(variants, i) {
			if err := b.prune(ctx); err != nil {
				return nil, err
			}
			c.add(v, b.build(ctx, v, buildOpts{tag: "cold"}))
		}
	}
	return c, nil
}

// warm: the same source built again; also measures the images and what a deployment pulls after a change.
func (b *bench) warm(ctx context.Context, res *ExampleResults) (*Case, error) {
	c := newCase("warm", "rebuild with no change")
	logf("%s: case warm (%d runs)", b.ws.ex.Name, b.runs)
	for _, v := range variants {
		if r := b.build(ctx, v, buildOpts{tag: "warm"}); r.Error != "" {
			return nil, fmt.Errorf("%s: %s", v.Name, r.Error)
		}
	}
	for i := 0; i < b.runs; i++ {
		for _, v := range rotated(variants, i) {
			c.add(v, b.build(ctx, v, buildOpts{tag: "warm"}))
		}
	}
	res.Images = map[string]*ImageStats{}
	for _, v := range variants {
		if v.like != "" {
			continue // the same Dockerfile's image
		}
		s, err := imageStats(ctx, b.image(v, "warm"), true)
		if err != nil {
			return nil, err
		}
		res.Images[v.Name] = s
	}
	if p := b.ws.ex.Probe; p != "" {
		s, err := b.withoutProbe(ctx, p)
		if err != nil {
			return nil, err
		}
		res.ImageWithoutProbe = s
	}
	return c, nil
}

// timedAB are the variants timed in the rebuild cases (A, B and S): C (no cache mounts) recompiles everything on
// any change, so it is timed cold and warm only, for the headline.
var timedAB = variants[:3]

// source: a one-line change in main.go before each run (a new string, so the binary changes).
func (b *bench) source(ctx context.Context, res *ExampleResults) (*Case, error) {
	c := newCase("source", "rebuild after a one-line source change")
	logf("%s: case source (%d runs)", b.ws.ex.Name, b.runs)
	for _, v := range timedAB {
		if r := b.build(ctx, v, buildOpts{tag: "base"}); r.Error != "" {
			return nil, fmt.Errorf("%s: %s", v.Name, r.Error)
		}
	}
	for i := 0; i < b.runs; i++ {
		if err := b.ws.changeSource("source change " + strconv.Itoa(i)); err != nil {
			return nil, err
		}
		for _, v := range rotated(timedAB, i) {
			tag := "src" + strconv.Itoa(i)
			c.add(v, b.build(ctx, v, buildOpts{tag: tag}))
		}
	}
	res.DeployDelta = map[string]int64{}
	for _, v := range timedAB {
		if v.like != "" {
			continue
		}
		before, err := imageStats(ctx, b.image(v, "base"), false)
		if err != nil {
			return nil, err
		}
		after, err := imageStats(ctx, b.image(v, "src0"), false)
		if err != nil {
			return nil, err
		}
		res.DeployDelta[v.Name] = deployDelta(before, after)
	}
	return c, nil
}

// deps: go.mod gains a new dependency (another version each run) and a file imports it.
func (b *bench) deps(ctx context.Context, _ *ExampleResults) (*Case, error) {
	c := newCase("deps", "rebuild after a dependency change (go: go.mod require + import, a module not yet downloaded)")
	logf("%s: case deps (%d runs)", b.ws.ex.Name, b.runs)
	for _, v := range timedAB {
		if r := b.build(ctx, v, buildOpts{tag: "base"}); r.Error != "" {
			return nil, fmt.Errorf("%s: %s", v.Name, r.Error)
		}
	}
	for i := 0; i < b.runs; i++ {
		if err := b.ws.reset(); err != nil {
			return nil, err
		}
		if err := b.ws.ex.addDependency(b.ws, i); err != nil {
			return nil, err
		}
		for _, v := range rotated(timedAB, i) {
			c.add(v, b.build(ctx, v, buildOpts{tag: "dep" + strconv.Itoa(i)}))
		}
	}
	return c, nil
}

// ci: an ephemeral builder: build and export the cache to the registry, wipe buildkitd, change one line, build
// again importing the cache. Only the rebuild is timed.
func (b *bench) ci(ctx context.Context, _ *ExampleResults) (*Case, error) {
	c := newCase("ci", "ephemeral CI builder: --cache-to type=registry,mode=max, wipe buildkitd, one-line change, --cache-from")
	logf("%s: case ci (%d runs)", b.ws.ex.Name, b.ciRuns)
	var layers []int64
	for i := 0; i < b.ciRuns; i++ {
		for _, v := range rotated(timedAB, i) {
			ref := b.st.Registry + "/bench-cache:" + b.ws.ex.Name + "-" + v.Name + "-" + strconv.Itoa(i)
			if err := b.ws.changeSource("ci base " + strconv.Itoa(i)); err != nil {
				return nil, err
			}
			if err := b.prune(ctx); err != nil {
				return nil, err
			}
			exp := b.build(ctx, v, buildOpts{tag: "ci-export", cacheTo: ref})
			if exp.Error != "" {
				return nil, fmt.Errorf("%s with --cache-to: %s", v.Name, exp.Error)
			}
			if v.Name == "A" && b.ws.ex.DepsLayer != "" {
				n, err := depsLayerBytes(ctx, ref, b.ws.ex.DepsLayer)
				if err != nil {
					return nil, fmt.Errorf("the dependency layer in %s: %w", ref, err)
				}
				logf("  %s A dependency layer in the exported cache: %s", b.ws.ex.Name, human(n))
				layers = append(layers, n)
			}
			if err := b.prune(ctx); err != nil {
				return nil, err
			}
			if err := b.ws.changeSource("ci change " + strconv.Itoa(i)); err != nil {
				return nil, err
			}
			r := b.build(ctx, v, buildOpts{tag: "ci", cacheFrom: ref})
			r.CacheBytesPulled = ownLayers(r.blobs, exp.blobs)
			c.add(v, r)
		}
	}
	if len(layers) > 0 {
		c.DepsLayer = median(layers)
	}
	return c, nil
}
