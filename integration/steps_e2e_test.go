//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellStepsSeeBuildArgs: a sh step runs in the builder's shell with the declared build args,
// the build's --build-arg value over the spec's default; the image's env never has them.
func TestShellStepsSeeBuildArgs(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+`build:
  args: {RELEASE: dev}
  steps:
    - name: check the release
      sh: 'echo "release is $RELEASE"; test "$RELEASE" = 1.2.3'
`)
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(ctx, "build", "--progress", "plain", "--build-arg", "RELEASE=1.2.3", "-f", spec, "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, "release is 1.2.3") {
		t.Errorf("the step did not see the build arg:\n%s", tail(log, 20))
	}
	cf, err := only(t, ociImages(t, out)).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cf.Config.Env {
		if strings.HasPrefix(e, "RELEASE=") {
			t.Errorf("the image's env has the build arg: %s", e)
		}
	}
	fail := buildFails(t, st.Buildx(ctx, "build", "--progress", "plain", "-f", spec, dir))
	for _, want := range []string{"release is dev", "check the release", ">>>     - name: check the release"} {
		if !strings.Contains(fail, want) {
			t.Errorf("without --build-arg the failure lacks %q:\n%s", want, tail(fail, 25))
		}
	}
	assertNoGoStack(t, fail)
}
