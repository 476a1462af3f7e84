package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	_, p, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProbeStatus(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Method + " " + r.URL.RequestURI()
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	for path, want := range map[string]int{"/healthz?full=1": 200, "/broken": 503} {
		code, err := probe(port(t, srv), path, time.Now().Add(5*time.Second))
		if err != nil || code != want {
			t.Errorf("probe %s = %d, %v; want %d", path, code, err, want)
		}
		if got != "GET "+path {
			t.Errorf("the server saw %q, want GET %s", got, path)
		}
	}
}

// Nothing listening on either loopback address is an error naming both.
func TestProbeNothingListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	_, err = probe(p, "/", time.Now().Add(5*time.Second))
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1 port "+p) || !strings.Contains(err.Error(), "::1 port "+p) {
		t.Errorf("err = %v, want both addresses refused", err)
	}
}

// A server that answers something other than HTTP, or nothing before the deadline, is unhealthy.
func TestProbeNotHTTP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for i := 0; ; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if i == 0 {
				c.Write([]byte("SSH-2.0-OpenSSH_9.9\r\n"))
				c.Close()
			} // the second connection gets no answer until the deadline
			defer c.Close()
		}
	}()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	if _, err := probe(p, "/", time.Now().Add(5*time.Second)); err == nil || !strings.Contains(err.Error(), "not an HTTP status line") {
		t.Errorf("err = %v, want not an HTTP status line", err)
	}
	start := time.Now()
	if _, err := probe(p, "/", time.Now().Add(300*time.Millisecond)); err == nil {
		t.Error("a silent server passed")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the probe waited %s past its deadline", d)
	}
}

// The probe refuses anything but a port and an absolute path: no host, no URL, no header injection.
func TestProbeRefusesArguments(t *testing.T) {
	for _, tc := range [][2]string{{"0", "/"}, {"65536", "/"}, {"example.com:80", "/"}, {"8080", "http://example.com/"},
		{"8080", "/x HTTP/1.0\r\nHost: example.com"}, {"8080", "healthz"}, {"8080", "/a#b"}} {
		if _, err := probe(tc[0], tc[1], time.Now().Add(time.Second)); err == nil {
			t.Errorf("probe(%q, %q) accepted", tc[0], tc[1])
		}
	}
}

// The probe built as the frontend image builds it stays under 2 MB, for every platform the image is published for.
func TestProbeSize(t *testing.T) {
	dir := t.TempDir()
	for _, arch := range []string{"amd64", "arm64", "arm", "s390x", "ppc64le", "riscv64"} {
		out := filepath.Join(dir, arch)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", arch, err, b)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 2_000_000 {
			t.Errorf("linux/%s: the probe is %s bytes, over 2 MB", arch, strconv.FormatInt(fi.Size(), 10))
		}
		t.Logf("linux/%s: %d bytes", arch, fi.Size())
	}
}
