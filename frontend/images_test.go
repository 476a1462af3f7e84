package frontend

import (
	"errors"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// A --build-context that cannot be loaded is framed at the spec line of the image it replaces, naming
// the context, the image and what to check, whatever the resolver said.
func TestNamedContextError(t *testing.T) {
	req := hllb.ImageRequest{Ref: "gcr.io/distroless/static-debian13:nonroot", Role: "base", Field: "base",
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}}
	at := spec.Pos{Line: 4, Col: 7}
	for _, tc := range []struct{ value, cause, want, hint string }{
		{"docker-image://localhost:5000/nope:1", "localhost:5000/nope:1: not found",
			`hardened.yaml:4:7: base: the build context base=docker-image://localhost:5000/nope:1, which replaces gcr.io/distroless/static-debian13:nonroot for linux/amd64, does not exist in its registry: localhost:5000/nope:1: not found`,
			"check that localhost:5000/nope:1 is spelled right and exists for linux/amd64 (docker buildx imagetools inspect localhost:5000/nope:1)"},
		{"docker-image://registry.invalid/x:1", `failed to do request: Head "https://registry.invalid/v2/x/manifests/1": dial tcp: lookup registry.invalid: no such host`,
			"cannot be reached: failed to do request", "the builder can reach its registry and is logged in to it; or leave out --build-context base to build on gcr.io/distroless/static-debian13:nonroot"},
		{"oci-layout:///nope", "open /nope/index.json: no such file or directory", "base=oci-layout:///nope, which replaces", "check that /nope is an OCI layout directory"},
		{"docker-image://x:1", strings.Repeat("long cause ", 200), "cannot be reached: ...", "docker buildx imagetools inspect x:1"},
	} {
		err := namedContextError("hardened.yaml", at, "base", tc.value, req, errors.New(tc.cause))
		es, ok := spec.AsErrors(err)
		if !ok || len(es) != 1 {
			t.Fatalf("%s: %v is not one spec problem", tc.value, err)
		}
		if got := err.Error(); !strings.Contains(got, tc.want) || !strings.Contains(es[0].Hint, tc.hint) || len(got) > 1000 {
			t.Errorf("%s:\n%s\nwant %q and hint %q", tc.value, got, tc.want, tc.hint)
		}
	}
}
