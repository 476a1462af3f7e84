//go:build integration

package integration

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// concurrentJob is one build of TestConcurrentBuilds.
type concurrentJob struct {
	name, dir   string
	out, digest string
}

// TestConcurrentBuilds runs two rounds of eight builds at once on one buildkitd, sharing every
// language's cache mounts. Round one: eight different examples (go, a go variant that compiles
// again, go-cgo, node, python, java, rust, static). Round two: eight builds of one example, each from
// a copy of the source. Everything succeeds; round two's images are one image, and a serial
// --no-cache build of the same source is that image too.
func TestConcurrentBuilds(t *testing.T) {
	ctx := context.Background()
	variant := copyExample(t, "go")
	main := filepath.Join(variant, "cmd", "server", "main.go")
	writeFile(t, main, strings.Replace(string(readHost(t, main)), "hello from a hardened image", "hello from a concurrent build", 1))
	static := copyExample(t, "static")
	buildStaticServer(t, static, filepath.Join(static, "hello-server"))
	different := []*concurrentJob{{name: "go variant", dir: variant}, {name: "static", dir: static}}
	for _, ex := range []string{"go", "go-cgo", "node", "python", "java", "rust"} {
		different = append(different, &concurrentJob{name: ex, dir: filepath.Join(repoRoot, "examples", ex)})
	}
	runConcurrently(t, ctx, different)

	var same []*concurrentJob
	for i := 0; i < 8; i++ {
		same = append(same, &concurrentJob{name: fmt.Sprintf("go variant, copy %d", i), dir: copyDir(t, variant)})
	}
	runConcurrently(t, ctx, same)
	if t.Failed() {
		return
	}
	for _, j := range same {
		if j.digest != different[0].digest {
			t.Errorf("%s = %s, want %s like the first round's build of the same source", j.name, j.digest, different[0].digest)
		}
	}
	out := filepath.Join(t.TempDir(), "serial.tar")
	build(t, st.Buildx(ctx, "build", "--no-cache", "-f", filepath.Join(variant, "hardened.yaml"), "-o", "type=oci,dest="+out, variant))
	if serial := ociDigest(t, out); serial != different[0].digest {
		t.Errorf("a serial --no-cache build gives %s; the concurrent builds gave %s", serial, different[0].digest)
	}
}

// runConcurrently starts every job's build at once, waits for all, and records each digest.
func runConcurrently(t *testing.T, ctx context.Context, jobs []*concurrentJob) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]string, len(jobs))
	for i, j := range jobs {
		j.out = filepath.Join(t.TempDir(), "app.tar")
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := st.Buildx(ctx, "build", "-f", filepath.Join(j.dir, "hardened.yaml"), "-o", "type=oci,dest="+j.out, j.dir)
			if log, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Sprintf("%s: %v\n%s", j.name, err, tail(string(log), 30))
			}
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Error(e)
			continue
		}
		jobs[i].digest = ociDigest(t, jobs[i].out)
	}
}

// ociDigest is the manifest digest of the one image in an OCI tarball.
func ociDigest(t *testing.T, tarPath string) string {
	t.Helper()
	d, err := only(t, ociImages(t, tarPath)).Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// copyDir copies dir to a new temp dir and returns the copy.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(dir))
	if out, err := exec.Command("cp", "-a", dir, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v %s", dir, err, out)
	}
	return dst
}
