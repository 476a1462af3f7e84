//go:build integration

package integration

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hardenedbuild/hardened/integration/stack"
	golang "github.com/hardenedbuild/hardened/lang/go"
)

// TestFaults runs a buildkitd of its own, whose registry mirror is a proxy in front of the stack's
// registry, and breaks things under it:
//   - the registry stops in the middle of a pull: the build fails naming the image and the registry,
//     and the next build, with the registry back, succeeds;
//   - buildkitd is killed in the middle of a compile (the standard library's and the dependencies',
//     the step that lasts): after a restart on the same state the next build succeeds and its image
//     runs (no half-written layer or cache mount content is trusted).
func TestFaults(t *testing.T) {
	ctx := context.Background()
	proxy := newCuttingProxy(t, st.Registry)
	d := startBuildkitd(t, proxy.addr)

	dir := copyExample(t, "go")
	buildctl := func(ctx context.Context, out string) *exec.Cmd {
		return exec.CommandContext(ctx, st.BuildctlBin, "--addr", d.addr, "build", "--progress", "plain",
			"--frontend", "gateway.v0", "--opt", "source="+st.FrontendRef(),
			"--local", "context="+dir, "--local", "dockerfile="+dir, "--output", "type=oci,dest="+out)
	}

	// 1. The registry goes away mid-pull of the builder image's layers.
	proxy.cut.Store(true)
	log := buildFails(t, buildctl(ctx, filepath.Join(t.TempDir(), "cut.tar")))
	if proxy.cuts.Load() == 0 {
		t.Fatalf("the proxy cut no blob; the build failed for another reason:\n%s", tail(log, 30))
	}
	for _, want := range []string{"golang", proxy.addr} {
		if !strings.Contains(log, want) {
			t.Errorf("the failed pull's message does not name %s:\n%s", want, tail(log, 20))
		}
	}
	assertNoGoStack(t, log)
	proxy.cut.Store(false)

	// 2. buildkitd dies while the compile runs; it restarts on the same state.
	cmd := buildctl(ctx, filepath.Join(t.TempDir(), "killed.tar"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := make(chan bool, 1)
	var seen strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), golang.DepsStep) {
				time.Sleep(2 * time.Second) // into the compile, with its build cache half written
				d.kill(t)
				sent = true
				killed <- true
			}
		}
		if !sent {
			killed <- false
		}
	}()
	if !<-killed {
		_ = cmd.Wait()
		t.Fatalf("the build ended before its compile step started:\n%s", tail(seen.String(), 30))
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the build whose buildkitd was killed succeeded")
	}
	d.start(t)
	out := filepath.Join(t.TempDir(), "after.tar")
	build(t, buildctl(ctx, out))
	img := only(t, ociImages(t, out))
	assertHardenedGo(t, img, "gcr.io/distroless/static-debian13:nonroot")
	assertServes(t, img)
}

// cuttingProxy forwards to a registry and, while cut is set, breaks off the first download of a
// golang image layer after its first bytes and then answers nothing but 503, as a registry that
// stops mid-pull does.
type cuttingProxy struct {
	addr string
	cut  atomic.Bool
	cuts atomic.Int32
}

func newCuttingProxy(t *testing.T, registry string) *cuttingProxy {
	t.Helper()
	p := &cuttingProxy{}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	rp.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		if p.cut.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/library/golang/blobs/") && resp.ContentLength > 1<<20 {
			p.cuts.Add(1)
			resp.Body = &cutBody{r: resp.Body, left: 64 << 10}
		}
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Once a download was cut, the registry is down until cut is cleared: a resumed pull finds no one.
	down := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.cut.Load() && p.cuts.Load() > 0 {
			http.Error(w, "registry stopped", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: down}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	p.addr = ln.Addr().String()
	return p
}

// cutBody gives left bytes and then fails, so the proxy aborts the response mid-body.
type cutBody struct {
	r    io.ReadCloser
	left int
}

func (c *cutBody) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if len(b) > c.left {
		b = b[:c.left]
	}
	n, err := c.r.Read(b)
	c.left -= n
	return n, err
}

func (c *cutBody) Close() error { return c.r.Close() }

// privateBuildkitd is a buildkitd of one test, on its own state directory and socket.
type privateBuildkitd struct {
	root, config, addr string
	cmd                *exec.Cmd
}

func startBuildkitd(t *testing.T, registry string) *privateBuildkitd {
	t.Helper()
	root, err := os.MkdirTemp("", "hbk")
	if err != nil {
		t.Fatal(err)
	}
	d := &privateBuildkitd{root: root, config: filepath.Join(root, "buildkitd.toml"), addr: "unix://" + filepath.Join(root, "buildkitd.sock")}
	if err := os.WriteFile(d.config, stack.BuildkitdConfig(registry), 0o644); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	t.Cleanup(func() {
		d.kill(t)
		// Mounts an exec left behind would make the state undeletable.
		if out, err := exec.Command("findmnt", "-rn", "-o", "TARGET").Output(); err == nil {
			for _, m := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(m, root+"/") {
					_ = syscall.Unmount(m, syscall.MNT_DETACH)
				}
			}
		}
		_ = os.RemoveAll(root)
	})
	return d
}

func (d *privateBuildkitd) start(t *testing.T) {
	t.Helper()
	log, err := os.OpenFile(filepath.Join(d.root, "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(filepath.Join(repoRoot, "bin", "buildkitd"), "--root", filepath.Join(d.root, "state"), "--addr", d.addr,
		"--oci-worker=true", "--containerd-worker=false", "--config", d.config)
	d.cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/local/sbin:/usr/sbin:/sbin")
	d.cmd.Stdout, d.cmd.Stderr = log, log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if exec.Command(st.BuildctlBin, "--addr", d.addr, "debug", "workers").Run() == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test's buildkitd did not start; its log:\n%s", tail(string(readHost(t, log.Name())), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (d *privateBuildkitd) kill(t *testing.T) {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	_ = d.cmd.Wait()
	d.cmd = nil
}
