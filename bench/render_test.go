package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func exampleResults(name string, a, b, s float64) *ExampleResults {
	c := timedCase("warm", a, b, s)
	return &ExampleResults{Name: name, Toolchain: name + ":1", Cases: []*Case{c},
		Images: map[string]*ImageStats{"A": {Compressed: 100, Uncompressed: 200, Files: 3}, "B": {Compressed: 120, Uncompressed: 200, Files: 4}}}
}

// timedCase is a case of three runs of A, B and S (S left out when s is 0) at the given seconds.
func timedCase(name string, a, b, s float64) *Case {
	c := newCase(name, name)
	for i := 0; i < 3; i++ {
		c.add(variants[0], build{Seconds: a})
		c.add(variants[1], build{Seconds: b})
		if s > 0 {
			c.add(variants[2], build{Seconds: s})
		}
	}
	c.finish()
	return c
}

// Every example gets its row, its section and its goals; a miss names its explanation once.
func TestRenderEveryExample(t *testing.T) {
	res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{exampleResults("go", 2, 1, 1.6), exampleResults("rust", 0.5, 1, 0.6)}}
	res.Goals = goals(res)
	md := render(res)
	for _, want := range []string{"| go | — | 2.00 |", "| rust | — | 0.50 |", "## examples/go", "## examples/rust",
		"| go | A/S time, warm | 1.25 — A/B 2.00, S/B 1.60 | <= 1.05 | **missed** |", "| rust | A/S time, warm | 0.83 | <= 1.05 | **met** |",
		"| rust | image size, A vs B |"} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, why["warm"]); n != 1 {
		t.Errorf("the warm explanation appears %d times, want once", n)
	}
}

// With S timed, the summary compares A and B with it, and a miss's row gives the other ratios; without S
// neither shows and the A/S goal is not measured.
func TestRenderPeer(t *testing.T) {
	res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{exampleResults("go", 2, 1, 0)}}
	res.Goals = goals(res)
	md := render(res)
	if strings.Contains(md, "Against S") || strings.Contains(md, "— A/S") {
		t.Errorf("BENCHMARKS.md without S compares with it:\n%s", md)
	}
	if want := "| go | A/S time, warm | not measured — S was not timed in this run. | <= 1.05 | **missed** |"; !strings.Contains(md, want) {
		t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
	}
	c := res.Examples[0].Cases[0]
	for i := 0; i < 3; i++ {
		c.add(variants[2], build{Seconds: 1.6})
	}
	c.finish()
	res.Goals = goals(res)
	md = render(res)
	for _, want := range []string{"| go | — | 1.25 | — | — | — | — | 1.60 | — | — | — |", "| warm | 2.00 | 1.00 | 1.60 | — | 2.00 | 1.25 |",
		"| go | A/S time, warm | 1.25 — A/B 2.00, S/B 1.60 | <= 1.05 | **missed** |", "In this run (warm, every example): S/B 1.60-1.60, A/S 1.25-1.25."} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
}

// Each example has the line a source change edits, and both Dockerfiles beside it.
func TestExamplesAreBenchmarkable(t *testing.T) {
	for _, e := range examples {
		dir := filepath.Join("..", filepath.FromSlash(e.dir()))
		src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.SourceFile)))
		if err != nil || !strings.Contains(string(src), e.SourceLine) {
			t.Errorf("%s: %s lacks the line %s (%v)", e.Name, e.SourceFile, e.SourceLine, err)
		}
		for _, f := range []string{"hardened.yaml", "bench/hardened.Dockerfile", "bench/naive.Dockerfile"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: %v", e.Name, err)
			}
		}
		if e.Probe != "" {
			if spec, err := os.ReadFile(filepath.Join(dir, "hardened.yaml")); err != nil || !strings.Contains(string(spec), e.Probe) {
				t.Errorf("%s: hardened.yaml lacks the probe's text %q (%v)", e.Name, e.Probe, err)
			}
		}
		got, err := e.changedLine("x")
		if err != nil || got == e.SourceLine || !strings.Contains(got, " (x)") {
			t.Errorf("%s: %q, %v", e.Name, got, err)
		}
	}
}

func TestFrontendStart(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	vs := map[string]*vertex{
		"1": {name: "[internal] load build definition from hardened.yaml", started: at(0), completed: at(7)},
		"2": {name: "docker-image://ghcr.io/hardenedbuild/hardened:1@sha256:x", started: at(20), completed: at(21)},
		"3": {name: "[internal] read hardened.lock", started: at(124), completed: at(130)},
		"4": {name: "[internal] load .dockerignore", started: at(125), completed: at(131)},
	}
	a, b, s := variants[0], variants[1], variants[2]
	if d, ok := frontendStart(vs, a.frontend); !ok || d != 103*time.Millisecond {
		t.Errorf("frontend start = %v, %v; want 103ms", d, ok)
	}
	if _, ok := frontendStart(vs, s.frontend); ok {
		t.Error("S's frontend start is read from another frontend's image")
	}
	if _, ok := frontendStart(vs, b.frontend); ok {
		t.Error("B (the builtin Dockerfile frontend) has a frontend start")
	}
	// S: BuildKit normalizes the syntax line's docker/dockerfile:1 to the docker.io reference.
	vs["2"].name = "docker-image://docker.io/docker/dockerfile:1@sha256:y"
	if d, ok := frontendStart(vs, s.frontend); !ok || d != 103*time.Millisecond {
		t.Errorf("S's frontend start = %v, %v; want 103ms", d, ok)
	}
	delete(vs, "2")
	if _, ok := frontendStart(vs, a.frontend); ok {
		t.Error("a build without the frontend image has no frontend start")
	}
}

// -json and -markdown name a file under the repository unless they are absolute.
func TestUnderRoot(t *testing.T) {
	for p, want := range map[string]string{"BENCHMARKS.md": "/repo/BENCHMARKS.md", "/tmp/x.json": "/tmp/x.json"} {
		if got := underRoot("/repo", p); got != want {
			t.Errorf("underRoot(/repo, %s) = %s, want %s", p, got, want)
		}
	}
}

// The test step is read from its vertex: its run time, 0 when cached, absent when the build had none.
func TestTestStep(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	vs := map[string]*vertex{
		"1": {name: "copy go.mod and go.sum", started: at(0), completed: at(50)},
		"2": {name: `test the image: start "/app/server" as 65532:65532 on a read-only root, GET http://127.0.0.1:8080/healthz`,
			started: at(1000), completed: at(1420)},
	}
	if d, ok := testStep(vs); !ok || d != 420*time.Millisecond {
		t.Errorf("test step = %v, %v; want 420ms", d, ok)
	}
	vs["2"].cached = true
	if d, ok := testStep(vs); !ok || d != 0 {
		t.Errorf("cached test step = %v, %v; want 0, true", d, ok)
	}
	delete(vs, "2")
	if _, ok := testStep(vs); ok {
		t.Error("a build without a test step has one")
	}
}

// A's median test step becomes a column and the cold, source and warm goals; a slow or uncached one is missed.
func TestRenderTestStep(t *testing.T) {
	secs := func(f float64) *float64 { return &f }
	mk := func(name string, steps ...float64) *Case {
		c := newCase(name, name)
		for _, s := range steps {
			c.add(variants[0], build{Seconds: 2, TestStepSeconds: secs(s)})
			c.add(variants[1], build{Seconds: 2})
		}
		c.finish()
		return c
	}
	ex := &ExampleResults{Name: "go", Cases: []*Case{mk("cold", 0.4, 0.6, 3), mk("source", 1.2, 1.5, 1.4), mk("warm", 0, 0, 0)}}
	static := &ExampleResults{Name: "static", Cases: []*Case{newCase("cold", "cold")}}
	static.Cases[0].add(variants[0], build{Seconds: 1})
	static.Cases[0].finish()
	res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{ex, static}}
	res.Goals = goals(res)
	md := render(res)
	for _, want := range []string{"| cold | 2.00 | 2.00 | — | — | 1.00 | — | 0.60 |", "| source | 2.00 | 2.00 | — | — | 1.00 | — | 1.40 |",
		"| warm | 2.00 | 2.00 | — | — | 1.00 | — | cached |", "| go | test step added to A, cold | 0.60 s | <= 1.00 s | **met** |",
		"| go | test step added to A, source | 1.40 s | <= 1.00 s | **missed** |", "| go | test step added to A, warm | 0 (cached) | 0 (cached) | **met** |",
		"| cold | 1.00 | — | — | — | — | — | — |", why["test"]} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| static | test step") {
		t.Errorf("an example without a test step has test step goals:\n%s", md)
	}
}

// static's image is compared with B's without the probe B cannot have; the probe is its own goal.
func TestRenderProbeApart(t *testing.T) {
	ex := exampleResults("static", 1, 1, 1)
	ex.Images = map[string]*ImageStats{"A": {Compressed: 4_100_000, Uncompressed: 10_900_000, Files: 1430},
		"B": {Compressed: 3_500_000, Uncompressed: 9_400_000, Files: 1429}}
	res := &Results{Runs: 1, CIRuns: 1, Examples: []*ExampleResults{ex}}
	res.Goals = goals(res)
	if md := render(res); !strings.Contains(md, "| static | image size, A vs B | 4.1 MB vs 3.5 MB compressed, 10.9 MB vs 9.4 MB uncompressed | <= B | **missed** |") {
		t.Errorf("without the measured image, A with its probe is compared:\n%s", md)
	}
	ex.ImageWithoutProbe = &ImageStats{Compressed: 3_500_000, Uncompressed: 9_400_000, Files: 1429, Layers: 3}
	res.Goals = goals(res)
	md := render(res)
	for _, want := range []string{
		"| static | image size, A vs B | 3.5 MB vs 3.5 MB compressed, 9.4 MB vs 9.4 MB uncompressed (A without its healthcheck.http probe, as B has no HEALTHCHECK; with it 4.1 MB, 10.9 MB) | <= B | **met** |",
		"| static | healthcheck.http probe (in A only) | 600.0 kB compressed, 1.5 MB uncompressed, 1 file(s) | <= 2 MB | **met** |",
		"| A without its healthcheck.http probe (as B) | 3.5 MB | 9.4 MB | 1429 | 3 | — |", "4.1 MB (3.5 MB without its probe)"} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
	// A without the probe but bigger than B still misses.
	ex.ImageWithoutProbe.Compressed = 3_600_000
	for _, g := range goals(res) {
		if g.Goal == "image size, A vs B" && g.Met {
			t.Errorf("A without its probe, larger than B, meets the size goal: %+v", g)
		}
	}
}

// The ci case's cache figures: A's dependency layer and what each variant pulled from the cache, as a reported row.
func TestRenderCacheCost(t *testing.T) {
	c := newCase("ci", "ephemeral CI builder")
	for _, v := range variants[:3] {
		c.add(v, build{Seconds: 5, BytesPulled: 300e6, CacheBytesPulled: 30e6})
	}
	c.add(variants[1], build{Seconds: 5, BytesPulled: 280e6, CacheBytesPulled: 2e6})
	c.add(variants[1], build{Seconds: 5, BytesPulled: 280e6, CacheBytesPulled: 2e6})
	c.finish()
	c.DepsLayer = 21_500_000
	ex := &ExampleResults{Name: "go", Cases: []*Case{c}}
	node := &ExampleResults{Name: "node", Cases: []*Case{newCase("ci", "ci")}}
	node.Cases[0].add(variants[0], build{Seconds: 4, BytesPulled: 200e6, CacheBytesPulled: 5e6})
	node.Cases[0].finish()
	res := &Results{Runs: 1, CIRuns: 3, Examples: []*ExampleResults{ex, node}}
	res.Goals = goals(res)
	md := render(res)
	for _, want := range []string{
		"| go | cache layer cost, ci | dependency layer 21.5 MB compressed; the ci rebuild pulled 30.0 MB of the build's own layers from the registry cache (B 2.0 MB, S 30.0 MB), 300.0 MB in all with the images (B 280.0 MB, S 300.0 MB) | reported | reported |",
		"| node | cache layer cost, ci | no dependency layer of the frontend's own; the ci rebuild pulled 5.0 MB of the build's own layers from the registry cache (B —, S —)",
		"| 21.5 MB | 30.0 MB / 2.0 MB |", "| none | 5.0 MB / — |",
		"- ci cache: A's dependency layer is 21.5 MB compressed in the exported cache; of what the ci rebuild pulled, the build's own layers (not pulled by the cold build that exported the cache) were 30.0 MB for A, 2.0 MB for B, 30.0 MB for S."} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
}

// Results merged from runs with another -ci-runs say how many runs each ci case holds.
func TestRenderCIRuns(t *testing.T) {
	goEx, rust := exampleResults("go", 2, 1, 1.6), exampleResults("rust", 0.5, 1, 0.6)
	goEx.Cases = append(goEx.Cases, timedCase("ci", 1, 2, 2))
	rust.Cases = append(rust.Cases, timedCase("ci", 1, 2, 2))
	res := &Results{Runs: 5, CIRuns: 3, Examples: []*ExampleResults{goEx, rust}}
	if md := render(res); !strings.Contains(md, "medians of 5 run(s) per case (3 for ci), side") {
		t.Errorf("BENCHMARKS.md with 3 ci runs everywhere:\n%s", md[:400])
	}
	res.CIRuns = 2
	if md := render(res); !strings.Contains(md, "medians of 5 run(s) per case (2 for ci, 3 for go's, 3 for rust's), side") {
		t.Errorf("BENCHMARKS.md with 3 ci runs where the run says 2:\n%s", md[:400])
	}
}
