package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/hardenedbuild/hardened/audit"
)

// root makes an image root on disk with a server binary and a passwd file.
func root(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "app"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "app", "server"), []byte("\x7fELF"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"), 0o644))
	return dir
}

func config(user string, ep ...string) *dockerspec.DockerOCIImage {
	img := &dockerspec.DockerOCIImage{}
	img.Config.User = user
	img.Config.Entrypoint = ep
	return img
}

func TestVerifyPassesAHardenedRoot(t *testing.T) {
	if err := audit.Verify(context.Background(), audit.DirFS(root(t)), config("65532:65532", "/app/server")); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFindsSetuidAndSetgid(t *testing.T) {
	dir := root(t)
	must(t, os.Chmod(filepath.Join(dir, "app", "server"), os.ModeSetuid|0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "var", "mail"), 0o755))
	must(t, os.Chmod(filepath.Join(dir, "var", "mail"), os.ModeSetgid|0o775))
	err := audit.Verify(context.Background(), audit.DirFS(dir), config("65532", "/app/server"))
	var ve *audit.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a VerifyError", err)
	}
	msg := err.Error()
	for _, want := range []string{"HX-PRIV-SETUID", "/app/server", "/var/mail"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestVerifyRefusesRoot(t *testing.T) {
	for _, user := range []string{"", "0", "0:0", "root", "ghost"} {
		t.Run(user, func(t *testing.T) {
			err := audit.Verify(context.Background(), audit.DirFS(root(t)), config(user, "/app/server"))
			if err == nil || !strings.Contains(err.Error(), "HX-USER-ROOT") {
				t.Errorf("user %q: err = %v, want HX-USER-ROOT", user, err)
			}
		})
	}
	if err := audit.Verify(context.Background(), audit.DirFS(root(t)), config("nonroot", "/app/server")); err != nil {
		t.Errorf("a named non-root user from /etc/passwd: %v", err)
	}
}

func TestVerifyWantsAnExecutableEntrypoint(t *testing.T) {
	dir := root(t)
	for name, ep := range map[string][]string{"missing": {"/app/nope"}, "none": nil, "directory": {"/app"}} {
		t.Run(name, func(t *testing.T) {
			err := audit.Verify(context.Background(), audit.DirFS(dir), config("65532", ep...))
			if err == nil || !strings.Contains(err.Error(), "HX-CONFIG-ENTRYPOINT") {
				t.Errorf("entrypoint %q: err = %v", ep, err)
			}
		})
	}
}

func TestDirFSStaysInsideTheRoot(t *testing.T) {
	dir := root(t)
	must(t, os.Symlink("/etc/hostname", filepath.Join(dir, "etc", "escape")))
	dt, err := audit.DirFS(dir).ReadFile(context.Background(), "/etc/escape")
	if err == nil && string(dt) != "" {
		host, _ := os.ReadFile("/etc/hostname")
		if string(dt) == string(host) {
			t.Fatal("a symlink read the host's /etc/hostname")
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// countingFS records the directories a check lists.
// countingFS records the reads; with hold set, each read waits until hold reads are in flight or 100 ms
// have passed, and inFlight is the most that were.
type countingFS struct {
	audit.FS
	hold int

	mu       sync.Mutex
	dirs     []string
	files    []string
	now      int
	holding  chan struct{}
	inFlight int
}

func (c *countingFS) enter(dir, file string) {
	c.mu.Lock()
	if dir != "" {
		c.dirs = append(c.dirs, dir)
	} else {
		c.files = append(c.files, file)
	}
	c.now++
	c.inFlight = max(c.inFlight, c.now)
	if c.holding == nil {
		c.holding = make(chan struct{})
	}
	ch, full := c.holding, c.now >= c.hold
	if full && c.hold > 0 {
		close(ch)
		c.holding = make(chan struct{})
	}
	c.mu.Unlock()
	if c.hold > 0 && !full {
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.mu.Lock()
	c.now--
	c.mu.Unlock()
}

func (c *countingFS) ReadDir(ctx context.Context, dir string) ([]audit.Entry, error) {
	c.enter(dir, "")
	return c.FS.ReadDir(ctx, dir)
}

func (c *countingFS) ReadFile(ctx context.Context, name string) ([]byte, error) {
	c.enter("", name)
	return c.FS.ReadFile(ctx, name)
}

// The directories on the way to the entrypoint, /etc and /etc/passwd are read at the same time, each
// once: one round trip's time through the gateway, not one per directory in turn.
func TestVerifyConfigReadsAtOnce(t *testing.T) {
	dir := root(t)
	fsys := &countingFS{FS: audit.DirFS(dir), hold: 4}
	if err := audit.VerifyConfig(context.Background(), fsys, config("65532:65532", "/app/server")); err != nil {
		t.Fatal(err)
	}
	if fsys.inFlight < 4 {
		t.Errorf("at most %d reads were in flight at once (dirs %q, files %q), want the 4 of /, /app, /etc and /etc/passwd", fsys.inFlight, fsys.dirs, fsys.files)
	}
	slices.Sort(fsys.dirs)
	if want := []string{"/", "/app", "/etc"}; !slices.Equal(fsys.dirs, want) || !slices.Equal(fsys.files, []string{"/etc/passwd"}) {
		t.Errorf("read dirs %q and files %q, want %q and /etc/passwd, each once", fsys.dirs, fsys.files, want)
	}
	// A bare name is looked up on the config's PATH, a group name in /etc/group: they are read up front too.
	fsys = &countingFS{FS: audit.DirFS(dir)}
	img := config("65532:nonroot", "server")
	img.Config.Env = []string{"PATH=/app:/usr/bin"}
	if err := audit.VerifyConfig(context.Background(), fsys, img); err != nil {
		t.Fatal(err)
	}
	slices.Sort(fsys.dirs)
	slices.Sort(fsys.files)
	if want := []string{"/", "/app", "/etc", "/usr", "/usr/bin"}; !slices.Equal(fsys.dirs, want) ||
		!slices.Equal(fsys.files, []string{"/etc/group", "/etc/passwd"}) {
		t.Errorf("read dirs %q and files %q, want %q, /etc/group and /etc/passwd", fsys.dirs, fsys.files, want)
	}
}

func TestVerifyConfigReadsOnlyThePathsItChecks(t *testing.T) {
	dir := root(t)
	must(t, os.MkdirAll(filepath.Join(dir, "usr", "share", "doc", "deep"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "usr", "bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "usr", "bin", "node"), []byte("\x7fELF"), 0o755))
	must(t, os.Symlink("/usr/bin/node", filepath.Join(dir, "app", "node")))
	fsys := &countingFS{FS: audit.DirFS(dir)}
	if err := audit.VerifyConfig(context.Background(), fsys, config("65532:65532", "/app/node", "/app/server.js")); err != nil {
		t.Fatal(err)
	}
	for _, d := range fsys.dirs {
		if strings.HasPrefix(d, "/usr/share") {
			t.Errorf("listed %s, which no checked path goes through (listed %q)", d, fsys.dirs)
		}
	}
	if len(fsys.dirs) == 0 {
		t.Error("listed nothing: the entrypoint was not looked up")
	}
}

func TestVerifyConfigHoldsTheConfigGuarantees(t *testing.T) {
	dir := root(t)
	// Not VerifyConfig's concern: Verify walks the tree for these.
	must(t, os.Chmod(filepath.Join(dir, "app", "server"), os.ModeSetuid|0o755))
	if err := audit.VerifyConfig(context.Background(), audit.DirFS(dir), config("nonroot", "/app/server")); err != nil {
		t.Errorf("a named non-root user from /etc/passwd: %v", err)
	}
	for _, user := range []string{"", "0", "0:0", "root", "ghost"} {
		err := audit.VerifyConfig(context.Background(), audit.DirFS(dir), config(user, "/app/server"))
		if err == nil || !strings.Contains(err.Error(), "HX-USER-ROOT") {
			t.Errorf("user %q: err = %v, want HX-USER-ROOT", user, err)
		}
	}
	must(t, os.Symlink("/app/gone", filepath.Join(dir, "app", "dangling")))
	for name, ep := range map[string][]string{"missing": {"/app/nope"}, "none": nil, "directory": {"/app"},
		"dangling link": {"/app/dangling"}, "missing directory": {"/opt/bin/server"}, "shell form": {"/bin/sh", "-c", "/app/server"}} {
		err := audit.VerifyConfig(context.Background(), audit.DirFS(dir), config("65532", ep...))
		if err == nil || !strings.Contains(err.Error(), "HX-CONFIG-ENTRYPOINT") {
			t.Errorf("entrypoint %s %q: err = %v", name, ep, err)
		}
	}
}
