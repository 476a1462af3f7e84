package main

import (
	"fmt"
	"slices"
	"strings"
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
			return &Overhead{Case: name, AFirstOp: a, BFirstOp: b, OverheadS: a - b, FrontendStart: c.FrontendStart,
				SFirstOp: c.FirstOp["S"], PeerFrontendStart: c.PeerFrontendStart}
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
		"more pulled than B, and its container start), and it runs steps B has no counterpart for: the " +
		"frontend image's listing of the base's setuid/setgid files, which runs while the builder works and " +
		"is cached per base, and, after the image is made, the test step of the spec's test: (the \"test " +
		"step in A\" column; see test). After the first op, go downloads its modules and stages them into the builder's " +
		"layer in one step (a --cache-from build has an empty module cache mount, and the compile is " +
		"offline), then lists the imported packages and copies their compiled cache entries into the " +
		"dependency layer, and rust compiles its dependencies on dummy sources before the crate: the layers " +
		"the ci case takes from the registry cache. python compiles the virtualenv apart from the app (it keeps source rebuilds short); java's " +
		"javac and jar run in one JVM, one step (HardenedBuild, with C1 alone), then jdeps finds the modules " +
		"the jars need and jlink links a JRE of them (runtime.jre: jlink, which makes the image a third of B's, " +
		"the size goal; about 10 s on a cold builder), and rust's cargo install " +
		"builds a package and puts its binaries out of the target cache in one step. static (no builder, a " +
		"1-2 s build) pays the frontend's pull and container start in full. S, B's own Dockerfile behind " +
		"# syntax=docker/dockerfile:1, pays the same pull and start (the run's figures follow). Fix: none known inside the " +
		"frontend for the pull and container start; they shrink only with a smaller image and a faster runc.",
	"warm": "on a warm builder the build proper is all cache hits, so each build's fixed cost decides. A and S " +
		"both pay BuildKit's start of the frontend's container (the frontend start figures below, ours and " +
		"docker/dockerfile:1's) and its teardown before the export starts (15-20 ms between the " +
		"frontend's return and the export); the builtin Dockerfile frontend B uses neither, and S/B is what " +
		"they cost. What A/S adds is the frontend's own work against docker/dockerfile:1's: about 45 ms from " +
		"its process start to its return in a warm go build (timed once with temporary logging inside it: " +
		"28 ms to read, resolve and convert, 7 ms to solve the all-cached build, 3 ms to check the config): " +
		"dockerui's read of the spec with, beside it, the lock and every language's project files (read " +
		"ahead: go.mod, package.json, pom.xml, Cargo.toml...; lock files wait for their language), then the " +
		"context's .dockerignore (dockerui reads it after the spec, which may have its own), the base resolved and its cached listing read while they are (go, python, static), the " +
		"builder resolved once go.mod or package.json names it, the config guarantees checked through the " +
		"gateway while the listing is waited for (its reads all at once: 3 ms, were 11). Until d674130 a " +
		"static build also sent its whole context again on every build (the project files' read, stopped " +
		"once the spec says static, shared the context's snapshot on the builder and left it empty: 47 ms " +
		"for the example's 6 MB binary in a warm build, 4 ms since), and until 0515e07 a step that prepared " +
		"the base beside the listing step, which unpacks it already, cost every warm build a solve (go warm " +
		"A/S 1.11 with it, 1.02 without, 10 runs each in one run). Fix: inside the frontend, fewer reads " +
		"before the solve (what is left is session transfers that contend on 2 CPUs); only BuildKit keeping " +
		"gateway frontends warm between builds removes the container start and teardown A and S pay.",
	"source": "after a one-line change A runs what B and S run (the changed context's copy and the compile) " +
		"and, with the spec's test: (every benchmarked example has one), its test step: the changed image is " +
		"started under the restricted profile until its port answers (the \"test step in A\" column; see " +
		"test), which B and S have no counterpart for. go also lists the imported packages again (offline; " +
		"the list keys the dependency layer, which a change that imports nothing new leaves as it was), and " +
		"java's jdeps reads the new jars' summaries in javac's own JVM (jlink's step, keyed by the module " +
		"list's content, stays cached while the modules stay the same): the price of the jlink'd JRE, which " +
		"runtime.jre: full does not pay. The " +
		"warm note's fixed cost comes on top for A/B (S/B shows what the container start costs any # syntax " +
		"frontend). Before the test step (issue 25), A/S after a source change was 0.59-1.04 (BENCHMARKS.md " +
		"of 33deb9d). Fix: an app that starts faster, or a test: run: of a quicker command; dropping test: " +
		"drops the check it makes.",
	"ci": "after the wipe, A imports its cache from the registry like B, and pays the frontend image pull " +
		"and its container start on top, plus the listing of the base's " +
		"setuid/setgid files, which is not part of the exported cache (the image is not built on it). With " +
		"--cache-from the base is not prepared ahead: the final stage may come from the imported cache whole. " +
		"Where the target is 0.50 (the Go and Rust apps), A's gain is its dependency layer: it comes from the " +
		"registry cache, where B compiles again what its cache mounts held (BuildKit exports no cache " +
		"mount), so A/B can reach 0.50 only where that compile is more than half of B's build. examples/rust " +
		"has one dependency (itoa, vendored), so its layer saves little against the builder image's import " +
		"and the crate's compile; a bench-only Rust app with a real dependency graph, as bench/apps/gosvc " +
		"is for Go, measures it where the run has one. Where it is 1.00 (python, node, java, static) A and B import the same " +
		"steps, and static's build (no builder) is mostly the frontend's pull and start. " +
		"S, B's Dockerfile behind # syntax=docker/dockerfile:1, pays the same pull and start (the run's " +
		"figures follow).",
	"size": "A's final image carries more than B's (see layers and files). static's A has healthcheck.http's " +
		"probe, which B cannot have: the run compares A without it when it built that image (the row says so), " +
		"and with it otherwise. Fix: drop what the extra layer adds.",
	"jre": "java's A ships, on distroless cc, a JRE jlink'd of the modules jdeps finds the jars need " +
		"(runtime.jre: jlink, the default since 1c07897), where B ships distroless java21's whole JRE; " +
		"docs/languages.md measures examples/java's A at 30.9 MB compressed against B's 93.3 MB (0.33). " +
		"An A as large as B was built by a frontend from before 1c07897 or with runtime.jre: full; " +
		"otherwise the JRE holds more modules than expected (its release file lists them). Fix: rerun on the " +
		"current frontend, or find what pulls the extra modules in (jdeps on the jars).",
	"probe": "healthcheck.http's probe is over the size issue 25 allows it. Fix: trim what cmd/hardened-probe links.",
	"overhead": "the first builder op waits for BuildKit to start the frontend's container (the frontend " +
		"start figure) and for the frontend's reads and image resolutions: the spec, with hardened.lock and " +
		"the context's project files read at the same time; then the context's .dockerignore, and (when the " +
		"spec alone decides it) the base; then the builder, once the context files name its version. The " +
		"build context loads while the images resolve (an evaluated solve: a gateway solve's result is " +
		"otherwise built only when read, so it waited for the builder image's source). Tried and not kept: " +
		"dockerui's very .dockerignore read, evaluated with the spec's; three transfers at once on 2 CPUs " +
		"each took longer, and 5 runs side by side showed no gain for go and java. Fix: java, node " +
		"and rust bases without a version in the spec wait for the files that name them; go's builder waits " +
		"for go.mod's go line (a resolution of the likeliest version ahead would save 5-8 ms).",
	"frontend": "the frontend binary links BuildKit's client and gateway packages. Fix: -ldflags=-s -w, trim " +
		"imports (no otel exporters, no dockerfile2llb), and compress nothing the registry compresses anyway.",
	"failed": "A failed; the error is in the example's section.",
	"test": "the test step starts the image under the restricted profile and waits for its port or its exit: " +
		"its time is the app's own start (a runtime's start, a migration, a cache warmed at start) plus the " +
		"sandbox's (a container with its own network namespace and the supervisor). Fix: an app that " +
		"starts faster, or a test: run: of a quicker command; on a rebuild that changes nothing the step " +
		"comes from the cache (it is keyed on the image and the test).",
}

// whyCases are the cases each explanation covers, for the figures measured against S that follow it.
var whyCases = map[string][]string{"cold": {"cold"}, "warm": {"warm"}, "source": {"source"}, "ci": {"ci"}}

// peerFigures is the run's S/B and A/S ranges over the cases of a why key, "" without S.
func peerFigures(res *Results, key string) string {
	var sb, as []float64
	for _, ex := range res.Examples {
		for _, c := range ex.Cases {
			if slices.Contains(whyCases[key], c.Name) && c.RatioSB > 0 && c.RatioAS > 0 {
				sb, as = append(sb, c.RatioSB), append(as, c.RatioAS)
			}
		}
	}
	if len(sb) == 0 {
		return ""
	}
	return fmt.Sprintf(" In this run (%s, every example): S/B %.2f-%.2f, A/S %.2f-%.2f.",
		strings.Join(whyCases[key], ", "), slices.Min(sb), slices.Max(sb), slices.Min(as), slices.Max(as))
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

// timeGoal is one of issue 26's time goals for a case: a ratio of medians (A/B or A/S) and its limit, or 0 when
// the figure is reported without a target.
type timeGoal struct {
	ratio string
	limit float64
	why   string
}

// halfCI are the examples whose ci case must take at most half of B's time (issue 26: go and rust): their
// dependency layer carries to a fresh builder the compile B's cache mounts lose. rustsvc is the bench-only Rust
// app being added beside gosvc; the name costs nothing while it is absent.
var halfCI = []string{"go", "gosvc", "rust", "rustsvc"}

// timeGoals are issue 26's: cold and source-change A/B <= 1.05, warm and source-change A/S <= 1.05 (the fixed
// per-build cost is compared with S, the work with B), ci A/B <= 0.5 or 1.0; any other case (deps) is reported.
func timeGoals(example, name string) []timeGoal {
	switch name {
	case "cold":
		return []timeGoal{{"A/B", 1.05, "cold"}}
	case "warm":
		return []timeGoal{{"A/S", 1.05, "warm"}}
	case "source":
		return []timeGoal{{"A/B", 1.05, "source"}, {"A/S", 1.05, "source"}}
	case "ci":
		if slices.Contains(halfCI, example) {
			return []timeGoal{{"A/B", 0.5, "ci"}}
		}
		return []timeGoal{{"A/B", 1.0, "ci"}}
	}
	return []timeGoal{{ratio: "A/B"}}
}

// caseGoal is a case's row for one time goal: the ratio, met or missed against the limit, or reported.
func caseGoal(c *Case, tg timeGoal) Goal {
	g := Goal{Goal: tg.ratio + " time, " + c.Name, Target: fmt.Sprintf("<= %.2f", tg.limit)}
	if tg.limit == 0 {
		g.Target, g.Info = "reported", true
	}
	other, r := "B", c.RatioAB
	if tg.ratio == "A/S" {
		other, r = "S", c.RatioAS
	}
	switch {
	case len(c.Failures["A"]) > 0:
		g.Value = fmt.Sprintf("A failed %d of %d runs", len(c.Failures["A"]), len(c.Builds["A"]))
		g.Why = "failed"
		return g
	case r == 0:
		g.Value = "not measured"
		g.Note = other + " failed; the error is in the example's section."
		if _, timed := c.Builds[other]; !timed {
			g.Note = other + " was not timed in this run."
		}
		return g
	}
	g.Value = fmt.Sprintf("%.2f", r)
	g.Met = g.Info || r <= tg.limit
	if g.Met && !g.Info {
		return g
	}
	if !g.Met {
		g.Why = tg.why
	}
	switch {
	case c.RatioAS == 0:
	case other == "B":
		g.Note = fmt.Sprintf("A/S %.2f, S/B %.2f (S: B's Dockerfile through docker/dockerfile:1)", c.RatioAS, c.RatioSB)
	default:
		g.Note = fmt.Sprintf("A/B %.2f, S/B %.2f", c.RatioAB, c.RatioSB)
	}
	return g
}

func exampleGoals(res *ExampleResults) []Goal {
	var gs []Goal
	res.Overhead = frontendOverhead(res)
	for _, c := range res.Cases {
		for _, tg := range timeGoals(res.Name, c.Name) {
			gs = append(gs, caseGoal(c, tg))
		}
	}
	gs = append(gs, testStepGoals(res)...)
	gs = append(gs, sizeGoals(res)...)
	if g, ok := cacheCost(res); ok {
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

// testStepGoals are issue 25's: the run test adds at most 1 s to a cold and a source-change build (median), and
// nothing to a rebuild that changes nothing (its step comes from the cache).
func testStepGoals(res *ExampleResults) []Goal {
	var gs []Goal
	for _, name := range []string{"cold", "source", "warm"} {
		c := res.find(name)
		if c == nil || c.TestStep == nil {
			continue
		}
		t := *c.TestStep
		g := Goal{Goal: "test step added to A, " + name, Target: "<= 1.00 s", Value: fmt.Sprintf("%.2f s", t), Met: t <= 1}
		if name == "warm" {
			g.Target, g.Met = "0 (cached)", t == 0
			if t == 0 {
				g.Value = "0 (cached)"
			}
		}
		if !g.Met {
			g.Why = "test"
		}
		gs = append(gs, g)
	}
	return gs
}

// sizeGoals compare A's image with B's, like with like: when A has a healthcheck.http probe B cannot have, A is
// measured without it too, and the probe's own cost is its goal (issue 25: at most 2 MB).
func sizeGoals(res *ExampleResults) []Goal {
	a, b := res.Images["A"], res.Images["B"]
	if a == nil || b == nil {
		return nil
	}
	like, value := a, fmt.Sprintf("%s vs %s compressed, %s vs %s uncompressed", human(a.Compressed), human(b.Compressed), human(a.Uncompressed), human(b.Uncompressed))
	var gs []Goal
	if np := res.ImageWithoutProbe; np != nil {
		like = np
		value = fmt.Sprintf("%s vs %s compressed, %s vs %s uncompressed (A without its healthcheck.http probe, as B has no HEALTHCHECK; with it %s, %s)",
			human(np.Compressed), human(b.Compressed), human(np.Uncompressed), human(b.Uncompressed), human(a.Compressed), human(a.Uncompressed))
		added := a.Uncompressed - np.Uncompressed
		gs = append(gs, Goal{Goal: "healthcheck.http probe (in A only)", Target: "<= 2 MB",
			Value: fmt.Sprintf("%s compressed, %s uncompressed, %d file(s)", human(a.Compressed-np.Compressed), human(added), a.Files-np.Files),
			Met:   added <= 2e6, Why: "probe"})
	}
	g := Goal{Goal: "image size, A vs B", Target: "<= B", Value: value,
		Met: like.Compressed <= b.Compressed && like.Uncompressed <= b.Uncompressed}
	if !g.Met {
		g.Why = "size"
	}
	out := []Goal{g}
	if limit, ok := sizeLimits[res.Name]; ok && b.Compressed > 0 {
		r := float64(like.Compressed) / float64(b.Compressed)
		rg := Goal{Goal: "image size, A/B compressed", Target: fmt.Sprintf("<= %.2f", limit),
			Value: fmt.Sprintf("%.2f (%s vs %s)", r, human(like.Compressed), human(b.Compressed)), Met: r <= limit}
		if !rg.Met {
			rg.Why = "jre"
		}
		out = append(out, rg)
	}
	return append(out, gs...)
}

// sizeLimits are issue 26's size goals beyond A <= B, compressed: java's A ships a JRE made for the app, B
// distroless java's whole one.
var sizeLimits = map[string]float64{"java": 0.6}

// cacheCost is what A's dependency layer costs a CI builder (issue 26): its size in the exported cache and what
// the ci rebuild pulled from that cache, beside B's and S's.
func cacheCost(res *ExampleResults) (Goal, bool) {
	c := res.find("ci")
	if c == nil {
		return Goal{}, false
	}
	layer := "no dependency layer of the frontend's own"
	if c.DepsLayer > 0 {
		layer = "dependency layer " + human(c.DepsLayer) + " compressed"
	}
	return Goal{Goal: "cache layer cost, ci", Target: "reported", Info: true, Met: true,
		Value: fmt.Sprintf("%s; the ci rebuild pulled %s of the build's own layers from the registry cache (B %s, S %s), %s in all with the images (B %s, S %s)",
			layer, pulledFrom(c.PulledCache, "A"), pulledFrom(c.PulledCache, "B"), pulledFrom(c.PulledCache, "S"),
			pulledFrom(c.Pulled, "A"), pulledFrom(c.Pulled, "B"), pulledFrom(c.Pulled, "S"))}, true
}

func pulledFrom(m map[string]int64, v string) string {
	if n, ok := m[v]; ok {
		return human(n)
	}
	return "—"
}
