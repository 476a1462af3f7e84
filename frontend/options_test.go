package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
)

func TestContextNames(t *testing.T) {
	got := contextNames(hllb.ImageRequest{Ref: "docker.io/library/golang:1.26-trixie", Role: "builder"})
	want := []string{"docker.io/library/golang:1.26-trixie", "docker.io/library/golang", "golang", "builder"}
	if !slices.Equal(got, want) {
		t.Errorf("names = %q, want %q", got, want)
	}
	got = contextNames(hllb.ImageRequest{Ref: "gcr.io/distroless/static-debian13:nonroot", Role: "base"})
	want = []string{"gcr.io/distroless/static-debian13:nonroot", "gcr.io/distroless/static-debian13", "base"}
	if !slices.Equal(got, want) {
		t.Errorf("names = %q, want %q", got, want)
	}
}

func TestPinKeepsTheTag(t *testing.T) {
	d := digest.FromString("x")
	if got := pin("docker.io/library/golang:1.26-trixie", d); got != "docker.io/library/golang:1.26-trixie@"+d.String() {
		t.Errorf("pin = %s", got)
	}
	if got := pin("gcr.io/x@sha256:00", d); got != "gcr.io/x@"+d.String() {
		t.Errorf("pin of a pinned ref = %s", got)
	}
}

func TestSourceDateEpoch(t *testing.T) {
	if e, err := sourceDateEpoch(map[string]string{}); e != nil || err != nil {
		t.Errorf("no arg: %v %v", e, err)
	}
	e, err := sourceDateEpoch(map[string]string{"SOURCE_DATE_EPOCH": "1700000000"})
	if err != nil || e.Unix() != 1700000000 {
		t.Errorf("epoch = %v %v", e, err)
	}
	for _, bad := range []string{"yesterday", "-5", "1.5"} {
		if _, err := sourceDateEpoch(map[string]string{"SOURCE_DATE_EPOCH": bad}); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// optsClient is the smallest gateway client: only BuildOpts is ever called here.
type optsClient struct {
	gwclient.Client
	opts map[string]string
}

func (c optsClient) BuildOpts() gwclient.BuildOpts { return gwclient.BuildOpts{Opts: c.opts} }

func TestDefaultFilename(t *testing.T) {
	if got := withDefaultFilename(optsClient{}).BuildOpts().Opts["filename"]; got != "hardened.yaml" {
		t.Errorf("filename = %q, want hardened.yaml", got)
	}
	given := map[string]string{"filename": "app.yaml"}
	if got := withDefaultFilename(optsClient{opts: given}).BuildOpts().Opts["filename"]; got != "app.yaml" {
		t.Errorf("filename = %q, want the user's", got)
	}
	empty := map[string]string{"other": "x"}
	withDefaultFilename(optsClient{opts: empty}).BuildOpts()
	if _, ok := empty["filename"]; ok {
		t.Error("the caller's options map was modified")
	}
}

// frontendClient says which image it runs from, as grpcclient does from the definition BuildKit mounts.
type frontendClient struct {
	optsClient
	self *bkllb.State
}

func (c frontendClient) CurrentFrontend() (*bkllb.State, error) { return c.self, nil }

// The tool steps run on the image BuildKit started the frontend from, through the default-filename wrapper,
// with no resolution of the source option's tag (optsClient has no ResolveImageConfig: it would panic).
func TestSelfImageIsTheRunningFrontend(t *testing.T) {
	running := bkllb.Image("ghcr.io/hardenedbuild/hardened:1@sha256:" + strings.Repeat("ab", 32))
	c := withDefaultFilename(frontendClient{optsClient{opts: map[string]string{"source": "ghcr.io/hardenedbuild/hardened:1"}}, &running})
	got := selfImage(context.Background(), c, ocispecs.Platform{OS: "linux", Architecture: "amd64"})
	if got == nil || got.Output() != running.Output() {
		t.Fatalf("self image = %v, want the running frontend's state", got)
	}
	// Without a source option or a current frontend there is no image to run the tool steps on.
	if got := selfImage(context.Background(), withDefaultFilename(optsClient{}), ocispecs.Platform{OS: "linux", Architecture: "amd64"}); got != nil {
		t.Errorf("self image = %v without a source, want none", got)
	}
}
