package frontend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/plan"
	"github.com/hardenedbuild/hardened/spec"
)

// capsClient is optsClient with the LLB capabilities dockerui.NewClient asks for.
type capsClient struct{ optsClient }

func (c capsClient) BuildOpts() gwclient.BuildOpts {
	return gwclient.BuildOpts{Opts: c.opts, LLBCaps: pb.Caps.CapSet(pb.Caps.All())}
}

func loadSpec(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	s, err := spec.Load("hardened.yaml", []byte(yaml), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNamedContextOnAnEndOfLifeBase: a --build-context that puts a distroless Debian 12 image in place of
// the base fails before it loads (nothing is pulled), at the spec line that chose the base.
func TestNamedContextOnAnEndOfLifeBase(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, key := range []string{"context:base", "context:gcr.io/distroless/cc-debian13", "context:gcr.io/distroless/cc-debian13::linux/amd64"} {
		bc, err := dockerui.NewClient(capsClient{optsClient{opts: map[string]string{key: "docker-image://gcr.io/distroless/cc-debian12:nonroot"}}})
		if err != nil {
			t.Fatal(err)
		}
		s := loadSpec(t, "language: go\nartifacts: [./a]\nbase: cc\n")
		req := *plan.Early(s, amd64, amd64).Base // the base the spec alone decides
		p := &build{bc: bc, spec: s}
		_, err = p.resolve(context.Background(), req)
		want := "hardened.yaml:3:7: base: the build context replacing gcr.io/distroless/cc-debian13:nonroot is gcr.io/distroless/cc-debian12:nonroot, and distroless Debian 12"
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `write debian: "12"`) {
			t.Errorf("%s: error = %v\nwant prefix %s", key, err, want)
		}
	}
}

func TestEndOfLifeWarnings(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	old := loadSpec(t, "language: python\nartifacts: [app.py]\ndebian: \"12\"\n")
	var got []string
	var opts []gwclient.WarnOpts
	src := &dockerui.Source{Warn: func(_ context.Context, msg string, o gwclient.WarnOpts) {
		got = append(got, msg)
		opts = append(opts, o)
	}}
	warnEndOfLife(context.Background(), src, old, day)
	warnEndOfLife(context.Background(), src, loadSpec(t, "language: python\nartifacts: [app.py]\n"), day)
	want := `hardened.yaml:3:9: debian: "12": distroless Debian 12 (python3) reached end of life on 2026-04-30; move to the -debian13 image`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("progress warnings = %q, want one starting %s", got, want)
	}
	if r := opts[0].Range; len(r) != 1 || r[0].Start.Line != 3 || r[0].Start.Character != 8 || opts[0].Level != 1 {
		t.Errorf("warning options = %+v, want level 1 at 3:9", opts[0])
	}
	// --call check reports it too, under its own rule.
	var rules []string
	for _, w := range PolicyWarnings(old) {
		rules = append(rules, w.Rule)
	}
	if !strings.Contains(strings.Join(rules, " "), "EndOfLifeBase") {
		t.Errorf("policy warnings %q lack EndOfLifeBase", rules)
	}
}
