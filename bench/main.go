// Command bench is `make bench`: it builds each benchmarked example (examples/go, python, node, rust, java, static,
// and bench/apps/gosvc, a bench-only Go service with a real dependency graph) three
// ways side by side on one buildkitd (A: hardened.yaml through the frontend, B: the hand-written hardened
// Dockerfile in the example's bench/, C: the naive Dockerfile there), times cold, warm, source-change,
// dependency-change (go) and CI-ephemeral builds, measures the images, writes bench/results/latest.json and
// renders BENCHMARKS.md. It runs on a stack of its own (its own buildkitd and registry), so wiping state for
// cold builds never touches the shared stack. It is never part of `make test`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hardenedbuild/hardened/integration/stack"
)

type options struct {
	runs      int
	ciRuns    int
	stateDir  string
	out       string
	markdown  string
	cases     string
	examples  string
	frontend  string
	keepStack bool
	render    bool
	trace     string
}

func main() {
	var o options
	quick := flag.Bool("quick", false, "one run per case (smoke test); same as -runs 1")
	flag.IntVar(&o.runs, "runs", 5, "runs per case; the table shows the median")
	flag.IntVar(&o.ciRuns, "ci-runs", 0, "runs of the CI case (default: -runs)")
	flag.StringVar(&o.stateDir, "state", filepath.Join(os.TempDir(), "hardened-bench-stack"), "state directory of the bench's own stack")
	flag.StringVar(&o.out, "json", "bench/results/latest.json", "where to write the results")
	flag.StringVar(&o.markdown, "markdown", "BENCHMARKS.md", "where to render the table")
	flag.StringVar(&o.cases, "cases", "cold,warm,source,deps,ci", "comma-separated cases to time")
	flag.StringVar(&o.examples, "examples", "", "comma-separated examples to build (default: all benchmarked ones: go, gosvc, python, node, rust, java, static)")
	flag.StringVar(&o.frontend, "frontend-src", "", "repository to build the frontend image from (default: this one, else its HEAD)")
	flag.BoolVar(&o.render, "render", false, "only re-render the Markdown from the JSON results (no builds)")
	flag.BoolVar(&o.keepStack, "keep-stack", true, "leave the bench stack running afterwards (a later run starts faster)")
	flag.StringVar(&o.trace, "trace", "", "also keep each build's progress (buildx --progress=rawjson) in this directory, one file per build")
	flag.Parse()
	if *quick {
		o.runs, o.ciRuns = 1, 1
	}
	if o.ciRuns < 1 {
		o.ciRuns = o.runs
	}
	if o.runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	root, err := stack.FindRepoRoot()
	if err != nil {
		return err
	}
	if o.render {
		return rerender(root, o)
	}
	exs, err := pickExamples(splitList(o.examples))
	if err != nil {
		return err
	}
	cases := splitList(o.cases)
	if err := checkCases(cases); err != nil {
		return err
	}
	st, err := benchStack(ctx, root, o.stateDir)
	if err != nil {
		return err
	}
	if !o.keepStack {
		defer st.Down()
	}
	fe, err := buildFrontend(ctx, st, root, o.frontend)
	if err != nil {
		return err
	}
	res := &Results{
		Date:     time.Now().UTC().Format(time.RFC3339),
		Runs:     o.runs,
		CIRuns:   o.ciRuns,
		Machine:  machine(ctx, st, root),
		Frontend: FrontendInfo{Source: fe.source, Digest: fe.digest},
	}
	if res.Frontend.Image, err = imageStats(ctx, st.FrontendRef(), false); err != nil {
		return fmt.Errorf("frontend image: %w", err)
	}
	peer, err := buildPeerFrontend(ctx, st, root)
	if err != nil {
		return err
	}
	res.PeerFrontend = &peer
	if res.ConvertSeconds, err = convertTimes(ctx, root, exs); err != nil {
		return err
	}
	for _, ex := range exs {
		er, err := benchExample(ctx, st, root, ex, o, cases)
		if err != nil {
			return fmt.Errorf("%s: %w", ex.dir(), err)
		}
		res.Examples = append(res.Examples, er)
		// Written after each example, so an interrupted run keeps what it measured.
		if err := write(root, o, res); err != nil {
			return err
		}
	}
	return nil
}

func benchExample(ctx context.Context, st *stack.Stack, root string, ex *example, o options, cases []string) (*ExampleResults, error) {
	w, err := newWorkspace(root, ex)
	if err != nil {
		return nil, err
	}
	defer w.remove()
	if err := pushPeerBases(ctx, st, w.peerBases); err != nil {
		return nil, err
	}
	b := &bench{st: st, ws: w, runs: o.runs, ciRuns: o.ciRuns, reg: newRegistryLog(st.StateDir), trace: o.trace}
	er := &ExampleResults{Name: ex.Name, Dir: ex.dir(), Toolchain: ex.Toolchain, FirstOp: ex.FirstOp}
	if err := b.runCases(ctx, cases, er); err != nil {
		return nil, err
	}
	return er, nil
}

func write(root string, o options, res *Results) error {
	res.Goals = goals(res)
	if err := writeJSON(underRoot(root, o.out), res); err != nil {
		return err
	}
	md := render(res)
	if err := os.WriteFile(underRoot(root, o.markdown), []byte(md), 0o644); err != nil {
		return err
	}
	logf("wrote %s and %s", o.out, o.markdown)
	return nil
}

// rerender recomputes the goals and the Markdown from the JSON of an earlier run.
func rerender(root string, o options) error {
	data, err := os.ReadFile(underRoot(root, o.out))
	if err != nil {
		return err
	}
	res := &Results{}
	if err := json.Unmarshal(data, res); err != nil {
		return fmt.Errorf("%s: %w", o.out, err)
	}
	if res.CIRuns == 0 {
		res.CIRuns = res.Runs
	}
	return write(root, o, res)
}

// benchStack attaches to the bench's own stack when it runs, else brings it up (stand-ins, buildkitd, registry).
func benchStack(ctx context.Context, root, stateDir string) (*stack.Stack, error) {
	if st, err := stack.Load(stateDir); err == nil {
		logf("using the bench stack in %s (registry %s)", stateDir, st.Registry)
		return st, nil
	}
	logf("bringing up the bench stack in %s", stateDir)
	return stack.Up(ctx, stack.Options{RepoRoot: root, StateDir: stateDir, Log: os.Stderr})
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// underRoot is p relative to the repository root, or p itself when it is absolute.
func underRoot(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}
