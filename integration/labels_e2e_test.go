//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// TestBuildLabels: `docker buildx build --label` reaches the image config and overrides the
// spec's label of the same name, as for a Dockerfile; a label the build records about itself
// (the base digest) is refused, naming it.
func TestBuildLabels(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(ctx, "build", "-f", spec,
		"--label", "org.opencontainers.image.revision=0123abc",
		"--label", "org.opencontainers.image.title=from-the-command-line",
		"-o", "type=oci,dest="+out, dir))
	cf, err := only(t, ociImages(t, out)).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.revision": "0123abc",
		"org.opencontainers.image.title":    "from-the-command-line",
		hllb.LabelBaseName:                  "gcr.io/distroless/static-debian12:nonroot",
	} {
		if got := cf.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}

	log := buildFails(t, st.Buildx(ctx, "build", "-f", spec, "--label", hllb.LabelBaseDigest+"=sha256:0", dir))
	if !strings.Contains(log, "--label "+hllb.LabelBaseDigest+": the build records this label itself") {
		t.Errorf("a --label on the base digest did not fail naming it:\n%s", tail(log, 20))
	}
	assertNoGoStack(t, log)
}
