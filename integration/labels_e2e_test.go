//go:build integration

package integration

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// TestBuildLabels: `docker buildx build --label` reaches the image config and overrides the
// spec's label of the same name, as for a Dockerfile; a label the build records about itself
// (the base digest) is refused, naming it. BUILDX_GIT_LABELS=1 gives a git context's source and
// revision labels through the same path.
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
		hllb.LabelBaseName:                  "gcr.io/distroless/static-debian13:nonroot",
	} {
		if got := cf.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}

	// BUILDX_GIT_LABELS=1: buildx passes a git context's remote and commit the same way.
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"},
		{"remote", "add", "origin", "https://example.com/team/app.git"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	head, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	gitOut := filepath.Join(t.TempDir(), "git.tar")
	cmd := st.Buildx(ctx, "build", "-f", spec, "-o", "type=oci,dest="+gitOut, dir)
	cmd.Env = append(cmd.Env, "BUILDX_GIT_LABELS=1")
	build(t, cmd)
	gcf, err := only(t, ociImages(t, gitOut)).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gcf.Config.Labels["org.opencontainers.image.revision"], strings.TrimSpace(string(head)); got != want {
		t.Errorf("with BUILDX_GIT_LABELS=1 the revision label is %q, want the commit %s", got, want)
	}
	if got := gcf.Config.Labels["org.opencontainers.image.source"]; got != "https://example.com/team/app.git" {
		t.Errorf("with BUILDX_GIT_LABELS=1 the source label is %q, want the remote", got)
	}

	log := buildFails(t, st.Buildx(ctx, "build", "-f", spec, "--label", hllb.LabelBaseDigest+"=sha256:0", dir))
	if !strings.Contains(log, fmt.Sprintf("--label %q: the build records this label itself", hllb.LabelBaseDigest)) {
		t.Errorf("a --label on the base digest did not fail naming it:\n%s", tail(log, 20))
	}
	assertNoGoStack(t, log)
}
