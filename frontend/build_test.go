package frontend

import (
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/frontend/tool"
)

const goSpec = "language: go\nartifacts: [./cmd/server]\n"

// testSpec is a test: to append to a spec.
const testSpec = "test:\n  http: {port: 8080}\n"

func goContext() fakeTree {
	return fakeTree{
		"go.mod":             {0o644, "module example.com/server\n\ngo 1.26\n"},
		"cmd":                {fs.ModeDir | 0o755, ""},
		"cmd/server":         {fs.ModeDir | 0o755, ""},
		"cmd/server/main.go": {0o644, "package main\n\nfunc main() {}\n"},
	}
}

func selfState() *bkllb.State {
	st := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@" + digest.FromString("frontend").String())
	return &st
}

// imageConfig is the config a single-platform build returns.
func imageConfig(t *testing.T, res *gwclient.Result) dockerspec.DockerOCIImage {
	t.Helper()
	var img dockerspec.DockerOCIImage
	for k, dt := range res.Metadata {
		if strings.HasPrefix(k, "containerimage.config") {
			if err := json.Unmarshal(dt, &img); err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatalf("no image config in %v", slices.Collect(mapsKeys(res.Metadata)))
	return img
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Build's paths, each on the fake gateway: the self-check's three modes, targets, platforms, the lock.
func TestBuildPaths(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spec      string
		context   fakeTree
		opts      map[string]string
		self      bool
		wantTools []string
		results   map[string]tool.Result
		check     func(t *testing.T, c *fakeClient, res *gwclient.Result)
	}{
		{name: "gateway walk", spec: goSpec, context: goContext()},
		{name: "proof", spec: goSpec, context: goContext(), self: true, wantTools: []string{"app", "special"}},
		{name: "tool walk for the report", spec: goSpec, context: goContext(), self: true,
			opts: map[string]string{"attest:provenance": "mode=min"}, wantTools: []string{"app", "verify"},
			results: map[string]tool.Result{"verify": {Report: json.RawMessage(`{"checks":[]}`)}},
			check: func(t *testing.T, c *fakeClient, res *gwclient.Result) {
				if len(res.Attestations) == 0 {
					t.Errorf("no check report attestation")
				}
			}},
		{name: "gateway walk with the report", spec: goSpec, context: goContext(), opts: map[string]string{"attest:provenance": "mode=min"}},
		{name: "debug", spec: goSpec, context: goContext(), opts: map[string]string{"target": "debug"},
			check: func(t *testing.T, c *fakeClient, res *gwclient.Result) {
				if v := imageConfig(t, res).Config.Labels["io.hardenedbuild.variant"]; v != "debug" {
					t.Errorf("variant label %q, want debug", v)
				}
				if !slices.ContainsFunc(c.resolved, func(r string) bool { return strings.Contains(r, "debug-nonroot") }) {
					t.Errorf("resolved %q, no debug base", c.resolved)
				}
			}},
		{name: "multi-platform", spec: goSpec, context: goContext(), self: true, opts: map[string]string{"platform": "linux/amd64,linux/arm64"},
			wantTools: []string{"app", "app", "special", "special"},
			check: func(t *testing.T, c *fakeClient, res *gwclient.Result) {
				if len(res.Refs) != 2 {
					t.Errorf("%d platform results, want 2", len(res.Refs))
				}
			}},
		{name: "lock", spec: goSpec, context: goContext(), opts: map[string]string{"target": "lock", "platform": "linux/amd64,linux/arm64"},
			check: func(t *testing.T, c *fakeClient, res *gwclient.Result) {
				lock := c.written["hardened.lock"]
				for _, want := range []string{"linux/amd64", "linux/arm64", "golang", "distroless"} {
					if !strings.Contains(lock, want) {
						t.Errorf("hardened.lock does not name %s:\n%s", want, lock)
					}
				}
			}},
		{name: "static", spec: "language: static\nartifacts: [./bin/server]\n",
			context: fakeTree{"bin": {fs.ModeDir | 0o755, ""}, "bin/server": {0o755, "#!"}}},
		{name: "labels", spec: goSpec, context: goContext(), opts: map[string]string{"label:team": "core"},
			check: func(t *testing.T, c *fakeClient, res *gwclient.Result) {
				if v := imageConfig(t, res).Config.Labels["team"]; v != "core" {
					t.Errorf("label team = %q", v)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(tc.spec, tc.context, tc.opts)
			if tc.self {
				c.self = selfState()
			}
			if tc.results != nil {
				c.toolResults = tc.results
			}
			res, err := Build(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(c.tools)
			if !slices.Equal(c.tools, tc.wantTools) {
				t.Errorf("tool steps %q, want %q", c.tools, tc.wantTools)
			}
			if tc.check != nil {
				tc.check(t, c, res)
			}
		})
	}
}

// TestBasePreparedOnlyByTheWalk: the base is unpacked ahead by a prepare step only when nothing else
// reads it while the builder is pulled (the tool walk of the report); the proof's listing step and the
// gateway's listing do, and a prepare beside them costs every warm build a solve.
func TestBasePreparedOnlyByTheWalk(t *testing.T) {
	report := map[string]string{"attest:provenance": "mode=min"}
	for _, tc := range []struct {
		name string
		self bool
		opts map[string]string
		want bool
	}{
		{name: "proof", self: true},
		{name: "tool walk for the report", self: true, opts: report, want: true},
		{name: "gateway walk", opts: report},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(goSpec, goContext(), tc.opts)
			if tc.self {
				c.self = selfState()
				c.toolResults = map[string]tool.Result{"verify": {Report: json.RawMessage(`{"checks":[]}`)}}
			}
			var prepared bool
			c.onSolve = func(ops []*pb.Op) {
				c.mu.Lock()
				defer c.mu.Unlock()
				prepared = prepared || makesFile(ops, "/.hardened-prepare")
			}
			if _, err := Build(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			if prepared != tc.want {
				t.Errorf("base prepared ahead: %v, want %v", prepared, tc.want)
			}
		})
	}
}

// makesFile says a solve's ops make the file path.
func makesFile(ops []*pb.Op, path string) bool {
	for _, op := range ops {
		for _, a := range op.GetFile().GetActions() {
			if a.GetMkfile().GetPath() == path {
				return true
			}
		}
	}
	return false
}

// Build fails, naming what and where, on each of these.
func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		context    fakeTree
		opts       map[string]string
		prepare    func(c *fakeClient)
		want       string
	}{
		{name: "invalid spec", spec: "language: cobol\n", context: goContext(), want: "hardened.yaml:1"},
		{name: "no such target", spec: goSpec, context: goContext(), opts: map[string]string{"target": "nope"}, want: `no target "nope"`},
		{name: "missing artifact", spec: "language: static\nartifacts: [./bin/none]\n", context: fakeTree{}, want: "is not in the build context"},
		{name: "base does not resolve", spec: goSpec, context: goContext(),
			prepare: func(c *fakeClient) { c.failResolve = "gcr.io/distroless" }, want: "cannot resolve gcr.io/distroless"},
		{name: "builder does not resolve", spec: goSpec, context: goContext(),
			prepare: func(c *fakeClient) { c.failResolve = "docker.io/library/golang" }, want: "cannot resolve docker.io/library/golang"},
		{name: "lock without the entry", spec: goSpec, context: goContext(),
			prepare: func(c *fakeClient) {
				c.locals["dockerfile"]["hardened.lock"] = fakeFile{0o644, "# hardened.lock\n"}
			}, want: "hardened.lock"},
		{name: "bad epoch", spec: goSpec, context: goContext(), opts: map[string]string{"build-arg:SOURCE_DATE_EPOCH": "soon"}, want: "SOURCE_DATE_EPOCH"},
		{name: "violations", spec: goSpec, context: goContext(),
			prepare: func(c *fakeClient) {
				c.image["usr"], c.image["usr/su"] = fakeFile{fs.ModeDir | 0o755, ""}, fakeFile{0o755 | fs.ModeSetuid, ""}
			},
			want: "HX-PRIV-SETUID"},
		{name: "app check", spec: goSpec, context: goContext(),
			prepare: func(c *fakeClient) {
				c.self = selfState()
				c.toolResults["app"] = tool.Result{Violations: []audit.Violation{{Check: tool.CheckBuildSecrets, Message: "secret netrc"}}}
			}, want: "secret netrc"},
		{name: "test failure", spec: goSpec + testSpec, context: goContext(),
			prepare: func(c *fakeClient) {
				c.self = selfState()
				c.toolResults[tool.RunTestCommand] = tool.Result{Test: &tool.TestResult{Ran: "/app/server", Problem: "it exited with code 3"}}
			}, want: "hardened.yaml:4:3: test: it exited with code 3"},
		// The test runs beside the /app check; a finding in /app is what the build reports.
		{name: "app check and test failure", spec: goSpec + testSpec, context: goContext(),
			prepare: func(c *fakeClient) {
				c.self = selfState()
				c.toolResults["app"] = tool.Result{Violations: []audit.Violation{{Check: tool.CheckBuildSecrets, Message: "secret netrc"}}}
				c.toolResults[tool.RunTestCommand] = tool.Result{Test: &tool.TestResult{Ran: "/app/server", Problem: "it exited with code 3"}}
			}, want: "secret netrc"},
		{name: "tool failure", spec: goSpec, context: goContext(), opts: map[string]string{"attest:provenance": "mode=min"},
			prepare: func(c *fakeClient) {
				c.self = selfState()
				c.toolResults["verify"] = tool.Result{Error: "cannot read the tree"}
			}, want: "cannot read the tree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClient(tc.spec, tc.context, tc.opts)
			if tc.prepare != nil {
				tc.prepare(c)
			}
			_, err := Build(t.Context(), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// --call targets answers without building.
func TestBuildSubrequest(t *testing.T) {
	c := newFakeClient(goSpec, goContext(), map[string]string{"requestid": "frontend.targets"})
	res, err := Build(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if dt := res.Metadata["result.json"]; !strings.Contains(string(dt), `"debug"`) {
		t.Errorf("targets %s, want the debug target listed", dt)
	}
	if len(c.tools) > 0 {
		t.Errorf("a subrequest ran %q", c.tools)
	}
}
