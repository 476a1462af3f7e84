//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildSpecFails writes spec (and files) to a new context, builds it, and returns the output of the
// build that must fail, checked for each want and for no Go stack and no bare BuildKit exit.
func buildSpecFails(t *testing.T, spec string, files map[string]string, args []string, wants ...string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	writeFile(t, filepath.Join(dir, "hardened.yaml"), spec)
	cmd := append(append([]string{"build"}, args...), "-f", filepath.Join(dir, "hardened.yaml"), dir)
	out := buildFails(t, st.Buildx(context.Background(), cmd...))
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the build's error lacks %q", want)
		}
	}
	if strings.Contains(out, "exit code: 1") {
		t.Error("the build ended with BuildKit's bare exit code, not the problem")
	}
	assertNoGoStack(t, out)
	if t.Failed() {
		t.Logf("output:\n%s", tail(out, 60))
	}
	return out
}

// writeFileIn is writeFile that makes the file's directory first.
func writeFileIn(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, content)
}

// TestProblemListsAreBounded: hundreds of missing artifacts show the first 100 and how many more, within
// seconds; 80,000 (a 900 kB spec) are one problem at the list, not a build that lists each one for 92 s.
func TestProblemListsAreBounded(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	for _, n := range []int{600, 80000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var spec strings.Builder
			spec.WriteString("# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: static\nartifacts:\n")
			for i := range n {
				fmt.Fprintf(&spec, "  - ./m%d\n", i)
			}
			want := []string{`hardened.yaml:4:5: artifacts[0]: "./m0" is not in the build context`, "and 500 more problems not shown; fix the ones above and run again"}
			if n > 600 {
				want = []string{"hardened.yaml:4:3: artifacts: 80000 items, over the limit of 1000"}
			}
			start := time.Now()
			out := buildSpecFails(t, spec.String(), map[string]string{"m0.txt": "x"}, nil, want...)
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("the build took %v to refuse %d artifacts", d, n)
			}
			if got := strings.Count(out, "is not in the build context"); got > 2*100 { // each line may be shown twice: the message and the source view
				t.Errorf("%d problems shown", got)
			}
		})
	}
}

// TestLabelsAndNames: the build's own labels cannot be set from the spec, and label keys and values, env
// names and artifact names holding control or bidi characters are refused, each at its position.
func TestLabelsAndNames(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec := "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: static\nartifacts: [./app, \"./a\\u202eb\"]\n" +
		"labels:\n  io.hardenedbuild.variant: release\n  org.opencontainers.image.base.digest: sha256:0\n  io.github.hardenedbuild.runtime.libs: none\n" +
		"  \"evil\\e[2J\": x\n  note: \"one\\ntwo\"\nenv:\n  \"PATH\\u2066\": /x\n"
	buildSpecFails(t, spec, map[string]string{"app": "#!/x\n"}, nil,
		`hardened.yaml:3:20: artifacts[1]: "./a\u202eb" contains the Unicode bidi control U+202E`,
		`hardened.yaml:5:3: labels.io.hardenedbuild.variant: "io.hardenedbuild.variant" is a label the build sets itself`,
		`hardened.yaml:6:3: labels.org.opencontainers.image.base.digest:`,
		`hardened.yaml:7:3: labels.io.github.hardenedbuild.runtime.libs:`,
		`hardened.yaml:8:3: labels.evil\x1b[2J: the key "evil\x1b[2J" contains a control character (U+001B, ESC`,
		`hardened.yaml:9:9: labels.note: the value contains a control character (U+000A, line break)`,
		`hardened.yaml:11:3: env.PATH\u2066: the name "PATH\u2066" contains the Unicode bidi control U+2066`)
}

// TestDirectoryArtifactWithSpecialFiles: a directory artifact that holds a FIFO or a device node deep
// inside is refused at its spec line, naming the file, as a top-level one is.
func TestDirectoryArtifactWithSpecialFiles(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := t.TempDir()
	writeFileIn(t, filepath.Join(dir, "web", "index.html"), "<p>hi</p>\n")
	writeFileIn(t, filepath.Join(dir, "dev", "ok.txt"), "x\n")
	if err := os.MkdirAll(filepath.Join(dir, "web", "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "web", "a", "b", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(dir, "dev", "null"), syscall.S_IFCHR|0o666, int(mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: static\nartifacts:\n  - ./web\n  - ./dev\n")
	out := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), dir))
	for _, want := range []string{
		`hardened.yaml:4:5: artifacts[0]: "./web" holds a named pipe (FIFO), web/a/b/fifo`,
		`hardened.yaml:5:5: artifacts[1]: "./dev" holds a character device, dev/null`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build's error lacks %q\n%s", want, tail(out, 40))
		}
	}
}

// TestProjectFileErrors: a go.mod or package.json that links out of the context, a package.json the
// .dockerignore excludes, and an engines.node that is no range each get a message at the language line.
func TestProjectFileErrors(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	const goSpec = "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [.]\n"
	const nodeSpec = "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: node\nversion: \"24\"\nartifacts: [server.js]\n"
	outside := filepath.Join(t.TempDir(), "elsewhere")
	writeFileIn(t, filepath.Join(outside, "go.mod"), "module x\n\ngo 1.26\n")
	writeFileIn(t, filepath.Join(outside, "package.json"), "{}\n")
	for name, tc := range map[string]struct {
		spec, link string
		files      map[string]string
		want       string
	}{
		"go.mod links out": {goSpec, "go.mod", map[string]string{"main.go": "package main\n"},
			"hardened.yaml:2:11: language: go.mod is a symlink to " + filepath.Join(outside, "go.mod") + ", which leaves the build context; copy the file into the context"},
		"package.json links out": {nodeSpec, "package.json", map[string]string{"server.js": "\n"},
			"hardened.yaml:2:11: language: package.json is a symlink to " + filepath.Join(outside, "package.json") + ", which leaves the build context"},
		"package.json excluded": {nodeSpec, "", map[string]string{"server.js": "\n", "package.json": "{}\n", ".dockerignore": "*.json\n"},
			"hardened.yaml:2:11: language: no package.json at the root of the build context: .dockerignore excludes it, and the build needs it; remove the .dockerignore pattern that matches package.json, or add !package.json after it"},
		"engines.node not a range": {"# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: node\nartifacts: [server.js]\n", "",
			map[string]string{"server.js": "\n", "package.json": `{"engines": {"node": "$(id)"}}`},
			`version: package.json engines.node "$(id)" is not a range: at character 1, "$(id)" is not a version`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for n, content := range tc.files {
				writeFile(t, filepath.Join(dir, n), content)
			}
			if tc.link != "" {
				if err := os.Symlink(filepath.Join(outside, tc.link), filepath.Join(dir, tc.link)); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, filepath.Join(dir, "hardened.yaml"), tc.spec)
			out := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), dir))
			if !strings.Contains(out, tc.want) {
				t.Errorf("the build's error lacks %q\n%s", tc.want, tail(out, 40))
			}
			if strings.Contains(out, "no such file or directory") || strings.Contains(out, "ENOENT") {
				t.Errorf("the build reports a missing file, not its cause\n%s", tail(out, 40))
			}
			assertNoGoStack(t, out)
		})
	}
}

// TestUnloadableBuildContext: a --build-context base= or builder= image that does not exist, or whose
// registry cannot be reached, is named with what to check, at the spec line of the image it replaces.
func TestUnloadableBuildContext(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec := "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nversion: \"1.26\"\nartifacts: [.]\nbase: static\n"
	files := map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {}\n"}
	for name, tc := range map[string]struct{ context, want string }{
		"base missing": {"base=docker-image://" + st.Registry + "/hardened-test/missing:1",
			"hardened.yaml:5:7: base: the build context base=docker-image://" + st.Registry + "/hardened-test/missing:1, which replaces gcr.io/distroless/static-debian13:nonroot for linux/"},
		"builder unreachable": {"builder=docker-image://127.0.0.1:1/golang:1.26-trixie",
			"hardened.yaml:3:10: version: the build context builder=docker-image://127.0.0.1:1/golang:1.26-trixie, which replaces docker.io/library/golang:1.26-trixie for linux/"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := buildSpecFails(t, spec, files, []string{"--build-context", tc.context}, tc.want, "docker buildx imagetools inspect")
			if name == "base missing" && !strings.Contains(out, "does not exist in its registry") {
				t.Errorf("a missing image is not called missing")
			}
		})
	}
}
