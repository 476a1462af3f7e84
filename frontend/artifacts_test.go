package frontend

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/spec"
)

// ctxFS is a build context as the gateway's ReadDir sees it: modes and link targets by path. Its
// tree counts the listings asked for.
type ctxFS map[string]struct {
	mode fs.FileMode
	link string
}

func (c ctxFS) tree(listings *int) *contextTree {
	return newContextTree(func(_ context.Context, dir string) (map[string]ctxEntry, error) {
		if listings != nil {
			*listings++
		}
		if e, ok := c[dir]; dir != "/" && (!ok || !e.mode.IsDir()) {
			return nil, os.ErrNotExist
		}
		out := map[string]ctxEntry{}
		for p, e := range c {
			if path.Dir(p) == dir && p != "/" {
				out[path.Base(p)] = ctxEntry{e.mode, e.link}
			}
		}
		return out, nil
	})
}

func TestInspectArtifact(t *testing.T) {
	context := ctxFS{
		"/bin/tool":      {0o755, ""},
		"/cmd":           {fs.ModeDir | 0o755, ""},
		"/cmd/server":    {fs.ModeDir | 0o755, ""},
		"/bin":           {fs.ModeDir | 0o755, ""},
		"/web":           {fs.ModeDir | 0o755, ""},
		"/web/a":         {fs.ModeDir | 0o755, ""},
		"/web/a/b":       {fs.ModeDir | 0o755, ""},
		"/web/a/b/fifo":  {fs.ModeNamedPipe | 0o644, ""},
		"/web/a/x.js":    {0o644, ""},
		"/web/a/dev":     {fs.ModeSymlink, "../../bin/null"},
		"/pub":           {fs.ModeDir | 0o755, ""},
		"/pub/null":      {fs.ModeDevice | fs.ModeCharDevice | 0o666, ""},
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
		{"./web/a/x.js", ""},
		{"./web/a/dev", "character device"},
		{"./web", `"./web" holds a named pipe (FIFO), web/a/b/fifo, and the image gets the directory as it is`},
		{"./pub", "holds a character device, pub/null"},
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
		msg, hint := inspectArtifact(t.Context(), tc.artifact, context.tree(nil), true)
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
	c := ctxFS{"/bin": {fs.ModeDir, ""}, "/bin/fifo": {fs.ModeNamedPipe, ""}, "/bin/tool": {0o755, ""}}
	err = artifactProblems(t.Context(), s, c.tree(nil))
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

// A Go package directory is compiled, not copied: what else it holds is the compiler's business.
func TestGoArtifactDirectoryIsNotWalked(t *testing.T) {
	c := ctxFS{"/cmd": {fs.ModeDir, ""}, "/cmd/server": {fs.ModeDir, ""}, "/cmd/server/fifo": {fs.ModeNamedPipe, ""}}
	if msg, _ := inspectArtifact(t.Context(), "./cmd/server", c.tree(nil), false); msg != "" {
		t.Errorf("go artifact: %s", msg)
	}
	s, err := spec.Load("hardened.yaml", []byte("language: static\nartifacts: [./cmd]\n"), spec.WithLanguages("static"))
	if err != nil {
		t.Fatal(err)
	}
	if err := artifactProblems(t.Context(), s, c.tree(nil)); err == nil || !strings.Contains(err.Error(), "cmd/server/fifo") {
		t.Errorf("static artifact holding a FIFO: %v", err)
	}
}

// A thousand missing artifacts (the most a spec lists) cost a listing per directory, not one each, and
// the message shows the first spec.MaxProblems and how many more.
func TestMissingArtifactsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("language: static\nartifacts:\n")
	for i := range spec.MaxItems {
		if i%2 == 0 {
			fmt.Fprintf(&b, "  - ./bin/m%d\n", i)
		} else {
			fmt.Fprintf(&b, "  - ./gone%d/m%d\n", i, i)
		}
	}
	s, err := spec.Load("hardened.yaml", []byte(b.String()), spec.WithLanguages("static"))
	if err != nil {
		t.Fatal(err)
	}
	listings := 0
	err = artifactProblems(t.Context(), s, ctxFS{"/bin": {fs.ModeDir, ""}}.tree(&listings))
	if listings > 2 {
		t.Errorf("%d listings for %d artifacts in two directories", listings, spec.MaxItems)
	}
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != spec.MaxProblems+1 {
		t.Fatalf("%d lines, want %d", len(lines), spec.MaxProblems+1)
	}
	if !strings.HasPrefix(lines[0], `hardened.yaml:3:5: artifacts[0]: "./bin/m0" is not in the build context`) {
		t.Errorf("first line %q", lines[0])
	}
	if want := fmt.Sprintf("and %d more problems not shown; fix the ones above and run again", spec.MaxItems-spec.MaxProblems); lines[spec.MaxProblems] != want {
		t.Errorf("last line %q, want %q", lines[spec.MaxProblems], want)
	}
}

// runtime.files must be in the context (not excluded by .dockerignore, which the listing already
// leaves out), hold no special file, and link nowhere outside; each problem at its own position, with
// the artifacts' own.
func TestRuntimeFilesInContext(t *testing.T) {
	src := "language: go\nartifacts: [./cmd/server]\nruntime:\n  files: [config, migrations, web, leak.yml, templates/index.html]\n"
	s, err := spec.Load("hardened.yaml", []byte(src), registry.SpecOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	c := ctxFS{
		"/cmd": {fs.ModeDir, ""}, "/cmd/server": {fs.ModeDir, ""},
		"/config": {fs.ModeDir, ""}, "/config/app.yml": {0o644, ""},
		"/web": {fs.ModeDir, ""}, "/web/sock": {fs.ModeSocket, ""},
		"/leak.yml":  {fs.ModeSymlink, "../../etc/shadow"},
		"/templates": {fs.ModeDir, ""}, "/templates/index.html": {0o644, ""},
	}
	errs, ok := spec.AsErrors(artifactProblems(t.Context(), s, c.tree(nil)))
	if !ok || len(errs) != 3 {
		t.Fatalf("problems = %v, want three spec errors", errs)
	}
	for i, want := range []string{
		`hardened.yaml:4:19: runtime.files[1]: "migrations" is not in the build context: it does not exist, or .dockerignore excludes it`,
		`hardened.yaml:4:31: runtime.files[2]: "web" holds a socket, web/sock`,
		`hardened.yaml:4:36: runtime.files[3]: "leak.yml" is a symlink to ../../etc/shadow, which leaves the build context`,
	} {
		if got := errs[i].Error(); !strings.HasPrefix(got, want) {
			t.Errorf("problem %d = %q, want prefix %q", i, got, want)
		}
	}
	if !checksContext(s) {
		t.Error("a go spec with runtime.files is not checked in the context")
	}
}

// Only the languages whose artifacts are binaries take runtime.files; the others ship context paths
// as artifacts and refuse the field.
func TestRuntimeFilesLanguages(t *testing.T) {
	for _, l := range []string{"node", "python", "java", "static"} {
		src := "language: " + l + "\nartifacts: [a]\nruntime:\n  files: [config]\n"
		_, err := spec.Load("hardened.yaml", []byte(src), registry.SpecOptions()...)
		if want := "hardened.yaml:4:10: runtime.files: language " + l + " does not use runtime.files; remove it"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", l, err, want)
		}
	}
	for _, src := range []string{"language: go\nartifacts: [./cmd/a]\n", "language: rust\nartifacts: [server]\n"} {
		if _, err := spec.Load("hardened.yaml", []byte(src+"runtime:\n  files: [config]\n"), registry.SpecOptions()...); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}
