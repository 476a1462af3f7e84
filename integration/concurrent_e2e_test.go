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

// TestConcurrentBuilds: eight builds at once on one buildkitd, sharing the Go module and build
// cache mounts: four variants of the Go example (each compiles), two identical copies of one of
// them, the Node and the static example. All succeed; the copies agree with each other and with a
// serial --no-cache build of the same source; the variants differ from each other.
func TestConcurrentBuilds(t *testing.T) {
	ctx := context.Background()
	type job struct {
		name, dir   string
		out, digest string
	}
	var jobs []*job
	for i := 0; i < 4; i++ {
		dir := copyExample(t, "go")
		main := filepath.Join(dir, "cmd", "server", "main.go")
		src := strings.Replace(string(readHost(t, main)), "hello from a hardened image", fmt.Sprintf("hello from concurrent build %d", i), 1)
		writeFile(t, main, src)
		jobs = append(jobs, &job{name: fmt.Sprintf("go variant %d", i), dir: dir})
	}
	for i := 0; i < 2; i++ {
		jobs = append(jobs, &job{name: fmt.Sprintf("go variant 0, copy %d", i), dir: copyDir(t, jobs[0].dir)})
	}
	jobs = append(jobs, &job{name: "node", dir: filepath.Join(repoRoot, "examples", "node")})
	static := copyExample(t, "static")
	buildStaticServer(t, static, filepath.Join(static, "hello-server"))
	jobs = append(jobs, &job{name: "static", dir: static})

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
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	if t.Failed() {
		return
	}
	for _, j := range jobs {
		j.digest = ociDigest(t, j.out)
	}
	seen := map[string]string{}
	for _, j := range jobs[:4] {
		if other, ok := seen[j.digest]; ok {
			t.Errorf("%s and %s have the same digest %s though their sources differ", j.name, other, j.digest)
		}
		seen[j.digest] = j.name
	}
	for _, j := range jobs[4:6] {
		if j.digest != jobs[0].digest {
			t.Errorf("%s = %s, want %s like the source it copies", j.name, j.digest, jobs[0].digest)
		}
	}
	out := filepath.Join(t.TempDir(), "serial.tar")
	build(t, st.Buildx(ctx, "build", "--no-cache", "-f", filepath.Join(jobs[0].dir, "hardened.yaml"), "-o", "type=oci,dest="+out, jobs[0].dir))
	if serial := ociDigest(t, out); serial != jobs[0].digest {
		t.Errorf("a serial --no-cache build gives %s; the concurrent build gave %s", serial, jobs[0].digest)
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
