package frontend

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/spec"
)

// ctxFS is a build context as the gateway's StatFile sees it: modes and link targets by path.
type ctxFS map[string]struct {
	mode fs.FileMode
	link string
}

func (c ctxFS) stat(_ context.Context, p string) (fs.FileMode, string, error) {
	e, ok := c[p]
	if !ok {
		return 0, "", os.ErrNotExist
	}
	return e.mode, e.link, nil
}

func TestInspectArtifact(t *testing.T) {
	context := ctxFS{
		"/bin/tool":      {0o755, ""},
		"/cmd/server":    {fs.ModeDir | 0o755, ""},
		"/bin/rel":       {fs.ModeSymlink, "tool"},
		"/bin/chain":     {fs.ModeSymlink, "rel"},
		"/bin/up":        {fs.ModeSymlink, "../bin/tool"},
		"/bin/abs":       {fs.ModeSymlink, "/etc/passwd"},
		"/bin/escape":    {fs.ModeSymlink, "../../etc/shadow"},
		"/bin/dangling":  {fs.ModeSymlink, "gone"},
		"/bin/loop":      {fs.ModeSymlink, "loop"},
		"/bin/fifo":      {fs.ModeNamedPipe | 0o644, ""},
		"/bin/null":      {fs.ModeDevice | fs.ModeCharDevice | 0o666, ""},
		"/bin/disk":      {fs.ModeDevice | 0o660, ""},
		"/bin/sock":      {fs.ModeSocket | 0o755, ""},
		"/bin/a;$(id)`x": {0o755, ""},
	}
	for _, tc := range []struct{ artifact, want string }{
		{"./bin/tool", ""},
		{"./cmd/server", ""},
		{"./bin/rel", ""},
		{"./bin/chain", ""},
		{"./bin/up", ""},
		{"./bin/a;$(id)`x", ""},
		{"./bin/missing", "is not in the build context: it does not exist, or .dockerignore excludes it"},
		{"./bin/abs", "symlink to the absolute path /etc/passwd"},
		{"./bin/escape", "leaves the build context"},
		{"./bin/dangling", "is a symlink (gone) to /bin/gone, which is not in the build context"},
		{"./bin/loop", "more than 40 symlinks"},
		{"./bin/fifo", "named pipe (FIFO), not a file or directory"},
		{"./bin/null", "character device"},
		{"./bin/disk", "block device"},
		{"./bin/sock", "socket"},
	} {
		msg, hint := inspectArtifact(t.Context(), tc.artifact, context.stat)
		if tc.want == "" {
			if msg != "" {
				t.Errorf("%s: %s", tc.artifact, msg)
			}
			continue
		}
		if !strings.Contains(msg, tc.want) || hint == "" {
			t.Errorf("%s: %q (hint %q), want %q and a hint", tc.artifact, msg, hint, tc.want)
		}
	}
}

// Every bad artifact is reported at once, each at its own position.
func TestArtifactProblemsHavePositions(t *testing.T) {
	s, err := spec.Load("hardened.yaml", []byte("language: static\nartifacts:\n  - ./bin/fifo\n  - ./bin/tool\n  - ./bin/missing\n"), spec.WithLanguages("static"))
	if err != nil {
		t.Fatal(err)
	}
	c := ctxFS{"/bin/fifo": {fs.ModeNamedPipe, ""}, "/bin/tool": {0o755, ""}}
	err = artifactProblems(t.Context(), s, c.stat)
	errs, ok := spec.AsErrors(err)
	if !ok || len(errs) != 2 {
		t.Fatalf("problems = %v, want two spec errors", err)
	}
	if got := errs[0].Error(); !strings.HasPrefix(got, "hardened.yaml:3:5: artifacts[0]: ") {
		t.Errorf("first problem %q", got)
	}
	if got := errs[1].Error(); !strings.HasPrefix(got, "hardened.yaml:5:5: artifacts[2]: ") {
		t.Errorf("second problem %q", got)
	}
}
