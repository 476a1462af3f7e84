//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestHostileContext: artifacts that are symlinks out of the context (relative or absolute),
// a named pipe, a device node, or a file .dockerignore excludes each fail before anything is
// built, all in one error at their spec lines; a name full of shell metacharacters is just a
// name, since no shell ever sees it.
func TestHostileContext(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "real"), "#!/nonexistent\n")
	for name, target := range map[string]string{"escape": "../../../etc/shadow", "absolute": "/etc/passwd", "inside": "real"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, int(mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ignored"), "secret stuff\n")
	writeFile(t, filepath.Join(dir, ".dockerignore"), "ignored\n")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, `# syntax=ghcr.io/hardenedbuild/hardened:1
language: static
artifacts:
  - ./inside
  - ./escape
  - ./absolute
  - ./fifo
  - ./null
  - ./ignored
`)
	out := buildFails(t, st.Buildx(ctx, "build", "-f", spec, dir))
	for _, want := range []string{
		`hardened.yaml:5:5: artifacts[1]: "./escape" is a symlink to ../../../etc/shadow, which leaves the build context`,
		`hardened.yaml:6:5: artifacts[2]: "./absolute" is a symlink to the absolute path /etc/passwd`,
		`hardened.yaml:7:5: artifacts[3]: "./fifo" is a named pipe (FIFO)`,
		`hardened.yaml:8:5: artifacts[4]: "./null" is a character device`,
		`hardened.yaml:9:5: artifacts[5]: "./ignored" is not in the build context: it does not exist, or .dockerignore excludes it`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build's error lacks %q", want)
		}
	}
	if strings.Contains(out, "artifacts[0]") {
		t.Error("a symlink to a file inside the context was refused")
	}
	if t.Failed() {
		t.Logf("output:\n%s", tail(out, 40))
	}
	assertNoGoStack(t, out)
}

// TestShellMetacharactersStayNames: an artifact named with $(...), ; and backquotes is copied and
// run under that very name; nothing interprets it.
func TestShellMetacharactersStayNames(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "static")
	name := "srv;$(touch pwned)`id`"
	buildStaticServer(t, dir, filepath.Join(dir, name))
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, strings.Replace(string(readHost(t, spec)), "artifacts: [./hello-server]", "artifacts: ['./"+name+"']", 1))
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", spec, "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cf.Config.Entrypoint, " "); got != "/app/"+name {
		t.Errorf("entrypoint %q, want /app/%s", got, name)
	}
	files := flatFiles(t, img)
	if files["/app/"+name] == nil {
		t.Errorf("no /app/%s in the image", name)
	}
	for f := range files {
		if strings.Contains(f, "pwned") && f != "/app/"+name {
			t.Errorf("%s: something ran the name as a command", f)
		}
	}
	assertServes(t, img)
}

// TestCompileErrorShowsCompilerAndSpecLine: a spec that validates but whose source does not
// compile fails with the Go compiler's own message and the spec line of the artifact.
func TestCompileErrorShowsCompilerAndSpecLine(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	main := filepath.Join(dir, "cmd", "server", "main.go")
	writeFile(t, main, string(readHost(t, main))+"\nfunc broken() { return 1 }\n")
	out := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), dir))
	for _, want := range []string{"too many return values", "main.go:", ">>> artifacts: [./cmd/server]", "compile ./cmd/server"} {
		if !strings.Contains(out, want) {
			t.Errorf("the failed build's output lacks %q:\n%s", want, tail(out, 30))
		}
	}
	assertNoGoStack(t, out)
}

func mkdev(major, minor uint32) uint64 {
	return uint64(major)<<8 | uint64(minor)
}
