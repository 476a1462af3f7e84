//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// running is a container started by runc from an image's own filesystem.
type running struct {
	id     string
	cmd    *exec.Cmd
	output *bytes.Buffer
}

// runImage runs img's entrypoint with extra args under runc: as the image's user,
// read-only root, no capabilities, no new privileges, on the host network so the
// test can reach it on loopback.
func runImage(t *testing.T, img v1.Image, args ...string) *running {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	unpack(t, img, rootfs)

	uid, gid := parseUser(t, cf.Config.User)
	cwd := cf.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	spec := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal":        false,
			"user":            map[string]any{"uid": uid, "gid": gid},
			"args":            append(append([]string{}, cf.Config.Entrypoint...), args...),
			"env":             cf.Config.Env,
			"cwd":             cwd,
			"noNewPrivileges": true,
			"capabilities":    map[string]any{"bounding": []string{}, "effective": []string{}, "permitted": []string{}},
		},
		"root":     map[string]any{"path": "rootfs", "readonly": true},
		"hostname": "hardened",
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "nodev", "mode=1777"}},
		},
		"linux": map[string]any{
			"namespaces":  []map[string]any{{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}},
			"maskedPaths": []string{"/proc/kcore", "/proc/keys"},
		},
	}
	dt, _ := json.MarshalIndent(spec, "", "  ")
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), dt, 0o644); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("hardened-e2e-%d", time.Now().UnixNano())
	var out bytes.Buffer
	cmd := exec.Command("runc", "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("runc: %v", err)
	}
	r := &running{id: id, cmd: cmd, output: &out}
	t.Cleanup(func() {
		_ = exec.Command("runc", "kill", id, "KILL").Run()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		_ = exec.Command("runc", "delete", "-f", id).Run()
	})
	return r
}

func parseUser(t *testing.T, user string) (int, int) {
	t.Helper()
	u, g, _ := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	if err != nil {
		t.Fatalf("image user %q is not numeric", user)
	}
	gid := uid
	if g != "" {
		if gid, err = strconv.Atoi(g); err != nil {
			t.Fatalf("image group %q is not numeric", user)
		}
	}
	return uid, gid
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHTTP polls url until it answers 200 or the deadline passes.
func waitHTTP(ctx context.Context, r *running, url string) ([]byte, error) {
	var last error
	for {
		body, err := httpGet(ctx, url)
		if err == nil {
			return body, nil
		}
		last = err
		if r.cmd.ProcessState != nil {
			return nil, fmt.Errorf("container exited: %s", r.output)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%v (container output: %s)", last, r.output)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// askImage runs img under runc with args, in which every %d becomes a free port, and decodes the
// JSON its server answers at http://127.0.0.1:PORT+path into v.
func askImage(t *testing.T, img v1.Image, path string, v any, args ...string) {
	t.Helper()
	port := freePort(t)
	for i, a := range args {
		if strings.Contains(a, "%d") {
			args[i] = fmt.Sprintf(a, port)
		}
	}
	r := runImage(t, img, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	body, err := waitHTTP(ctx, r, fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	if err != nil {
		t.Fatalf("the image's server did not answer: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
}
