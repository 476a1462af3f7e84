package main

import (
	"strings"
	"testing"
)

// goalRow is the goals table's row of an example's goal, "" when there is none.
func goalRow(md, example, goal string) string {
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| "+example+" | "+goal+" | ") {
			return line
		}
	}
	return ""
}

// Issue 26's time goals, each just under and just over its target: cold and source A/B <= 1.05, warm and
// source A/S <= 1.05, ci A/B <= 0.50 for the go and rust apps and <= 1.00 for the rest, deps reported.
func TestTimeGoalTargets(t *testing.T) {
	for _, tc := range []struct {
		example, name string
		a, b, s       float64
		goal, want    string
	}{
		{"go", "cold", 1.04, 1, 0.9, "A/B time, cold", "| go | A/B time, cold | 1.04 | <= 1.05 | **met** |"},
		{"go", "cold", 1.06, 1, 1.2, "A/B time, cold", "| 1.06 — A/S 0.88, S/B 1.20 (S: B's Dockerfile through docker/dockerfile:1) | <= 1.05 | **missed** |"},
		{"python", "warm", 1.04, 0.5, 1, "A/S time, warm", "| 1.04 | <= 1.05 | **met** |"},
		{"python", "warm", 1.06, 2, 1, "A/S time, warm", "| 1.06 — A/B 0.53, S/B 0.50 | <= 1.05 | **missed** |"},
		{"node", "source", 1.04, 1, 0.5, "A/B time, source", "| 1.04 | <= 1.05 | **met** |"},
		{"node", "source", 1.04, 1, 0.5, "A/S time, source", "| 2.08 — A/B 1.04, S/B 0.50 | <= 1.05 | **missed** |"},
		{"node", "source", 1.06, 1, 2, "A/B time, source", "| 1.06 — A/S 0.53, S/B 2.00 (S: B's Dockerfile through docker/dockerfile:1) | <= 1.05 | **missed** |"},
		{"node", "source", 1.06, 1, 2, "A/S time, source", "| 0.53 | <= 1.05 | **met** |"},
		{"go", "ci", 0.49, 1, 1, "A/B time, ci", "| 0.49 | <= 0.50 | **met** |"},
		{"go", "ci", 0.51, 1, 1, "A/B time, ci", "| 0.51 — A/S 0.51, S/B 1.00 (S: B's Dockerfile through docker/dockerfile:1) | <= 0.50 | **missed** |"},
		{"gosvc", "ci", 0.51, 1, 0, "A/B time, ci", "| 0.51 | <= 0.50 | **missed** |"},
		{"rust", "ci", 0.51, 1, 0, "A/B time, ci", "| 0.51 | <= 0.50 | **missed** |"},
		{"rust", "ci", 0.5, 1, 0, "A/B time, ci", "| 0.50 | <= 0.50 | **met** |"},
		{"rustsvc", "ci", 0.51, 1, 0, "A/B time, ci", "| 0.51 | <= 0.50 | **missed** |"},
		{"java", "ci", 0.99, 1, 0, "A/B time, ci", "| 0.99 | <= 1.00 | **met** |"},
		{"static", "ci", 1.01, 1, 0, "A/B time, ci", "| 1.01 | <= 1.00 | **missed** |"},
		{"go", "deps", 17, 1, 1.1, "A/B time, deps", "| 17.00 — A/S 15.45, S/B 1.10 (S: B's Dockerfile through docker/dockerfile:1) | reported | reported |"},
	} {
		ex := &ExampleResults{Name: tc.example, Cases: []*Case{timedCase(tc.name, tc.a, tc.b, tc.s)}}
		res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{ex}}
		res.Goals = goals(res)
		if row := goalRow(render(res), tc.example, tc.goal); !strings.HasSuffix(row, tc.want) {
			t.Errorf("%s %s at A %.2f, B %.2f, S %.2f: row %q, want it to end %q", tc.example, tc.name, tc.a, tc.b, tc.s, row, tc.want)
		}
	}
}

// The fixed per-build cost is compared with S alone and the work with B: warm has no A/B goal, cold no A/S one,
// and a missed goal's explanation is the one of its case.
func TestTimeGoalsPerCase(t *testing.T) {
	ex := &ExampleResults{Name: "go", Cases: []*Case{timedCase("cold", 2, 1, 1), timedCase("warm", 2, 1, 1),
		timedCase("source", 2, 1, 1), timedCase("deps", 2, 1, 1), timedCase("ci", 2, 1, 1)}}
	res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{ex}}
	whys := map[string]string{}
	for _, g := range goals(res) {
		if strings.Contains(g.Goal, " time, ") {
			whys[g.Goal] = g.Why
		}
	}
	want := map[string]string{"A/B time, cold": "cold", "A/S time, warm": "warm", "A/B time, source": "source",
		"A/S time, source": "source", "A/B time, deps": "", "A/B time, ci": "ci"}
	if len(whys) != len(want) {
		t.Errorf("time goals %v, want %v", whys, want)
	}
	for g, w := range want {
		if got, ok := whys[g]; !ok || got != w {
			t.Errorf("%s: why %q (present %v), want %q", g, got, ok, w)
		}
		if w != "" && why[w] == "" {
			t.Errorf("%s names the explanation %q, which is not written", g, w)
		}
	}
}

// A failed A misses the goal whatever the ratio; a failed B or S leaves the goal not measured, and says which.
func TestTimeGoalFailures(t *testing.T) {
	c := timedCase("source", 1, 1, 1)
	c.Builds["A"][0].Error = "boom"
	c.Builds["S"] = []build{{Seconds: 1, Error: "bust"}}
	c.Median, c.Failures = map[string]float64{}, map[string][]string{}
	c.finish()
	ex := &ExampleResults{Name: "go", Cases: []*Case{c}}
	res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{ex}}
	res.Goals = goals(res)
	md := render(res)
	if row := goalRow(md, "go", "A/B time, source"); !strings.HasSuffix(row, "| A failed 1 of 3 runs | <= 1.05 | **missed** |") {
		t.Errorf("A/B row with a failed A: %q", row)
	}
	c = timedCase("source", 1, 1, 1)
	c.Builds["S"] = []build{{Seconds: 1, Error: "bust"}}
	c.Median, c.Failures = map[string]float64{}, map[string][]string{}
	c.finish()
	ex.Cases = []*Case{c}
	res.Goals = goals(res)
	md = render(res)
	if row := goalRow(md, "go", "A/S time, source"); !strings.HasSuffix(row, "| not measured — S failed; the error is in the example's section. | <= 1.05 | **missed** |") {
		t.Errorf("A/S row with a failed S: %q", row)
	}
	if row := goalRow(md, "go", "A/B time, source"); !strings.HasSuffix(row, "| 1.00 | <= 1.05 | **met** |") {
		t.Errorf("A/B row with a failed S: %q", row)
	}
}

// Java's image must be at most 0.6 of B's compressed (a JRE made for the app); the others only A <= B.
func TestJavaSizeGoal(t *testing.T) {
	for _, tc := range []struct {
		example string
		a       int64
		want    string
	}{
		{"java", 59_000_000, "| 0.59 (59.0 MB vs 100.0 MB) | <= 0.60 | **met** |"},
		{"java", 61_000_000, "| 0.61 (61.0 MB vs 100.0 MB) | <= 0.60 | **missed** |"},
		{"go", 99_000_000, ""},
	} {
		ex := &ExampleResults{Name: tc.example, Cases: []*Case{timedCase("cold", 1, 1, 0)},
			Images: map[string]*ImageStats{"A": {Compressed: tc.a, Uncompressed: 2 * tc.a}, "B": {Compressed: 100_000_000, Uncompressed: 200_000_000}}}
		res := &Results{Runs: 3, CIRuns: 3, Examples: []*ExampleResults{ex}}
		res.Goals = goals(res)
		md := render(res)
		row := goalRow(md, tc.example, "image size, A/B compressed")
		if tc.want == "" && row != "" || !strings.HasSuffix(row, tc.want) {
			t.Errorf("%s at %d bytes: row %q, want it to end %q", tc.example, tc.a, row, tc.want)
		}
		if missed, shown := strings.HasSuffix(tc.want, "**missed** |"), strings.Contains(md, why["jre"]); missed != shown {
			t.Errorf("%s at %d bytes: the jre explanation shown %v, want %v", tc.example, tc.a, shown, missed)
		}
		if row := goalRow(md, tc.example, "image size, A vs B"); !strings.HasSuffix(row, "| <= B | **met** |") {
			t.Errorf("%s at %d bytes: A <= B row %q", tc.example, tc.a, row)
		}
	}
}
