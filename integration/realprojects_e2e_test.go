//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// initAndBuild copies a testdata project, runs `hardened init` on it as a user would, and builds
// the spec it wrote through the frontend; it returns the spec and the image.
func initAndBuild(t *testing.T, project string) (string, v1.Image) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), filepath.Base(project))
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, project))); err != nil {
		t.Fatal(err)
	}
	initCmd := exec.Command("go", "run", "./cmd/hardened", "init", dir)
	initCmd.Dir = repoRoot
	t.Logf("%s", build(t, initCmd))
	spec := readHost(t, filepath.Join(dir, "hardened.yaml"))
	t.Logf("hardened.yaml:\n%s", spec)
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	return string(spec), only(t, ociImages(t, out))
}

// A TypeScript service whose start script reaches node dist/server.js through npm run serve: init
// finds the entry, the build script compiles it, the image runs it as 65532 with NODE_ENV=production.
func TestRealProjectTypeScript(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/node/testdata/typescript")
	if !strings.Contains(spec, "artifacts: [dist/server.js, dist, views]\n") || !strings.Contains(spec, "build:\n  script: build\n") {
		t.Errorf("init wrote:\n%s", spec)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/nodejs/bin/node", "/app/dist/server.js"}) || c.User != "65532:65532" ||
		!slices.Contains(c.Env, "NODE_ENV=production") {
		t.Errorf("entrypoint %q user %q env %q", c.Entrypoint, c.User, c.Env)
	}
	files := flatFiles(t, img)
	for _, f := range []string{"/app/dist/server.js", "/app/views/index.html"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "/app/src/") || strings.HasPrefix(f, "/app/node_modules/typescript/") {
			t.Errorf("%s is in the image: sources and devDependencies stay in the builder", f)
		}
	}
	var got struct {
		UID     int
		NodeEnv string
		Page    string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.NodeEnv != "production" || !strings.Contains(got.Page, "compiled by tsc") {
		t.Errorf("server answered %+v, want uid 65532, NODE_ENV production and the views page", got)
	}
}

// A Go service whose main package is the module root, with the Dockerfile the team had: the binary
// is named after the module (greeter, not app or v2), and the Dockerfile's settings carry over.
func TestRealProjectGoModuleRoot(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/go/testdata/moduleroot")
	for _, want := range []string{"version: \"1.26\"\n", "artifacts: [.]\n", "healthcheck:\n  test: [/app/greeter, \"-check\"]\n", "#   ENV API_TOKEN:"} {
		if !strings.Contains(spec, want) {
			t.Errorf("spec lacks %q", want)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/app/greeter"}) || !slices.Equal(c.Cmd, []string{"-port", "8080"}) || c.User != "65532:65532" {
		t.Errorf("entrypoint %q cmd %q user %q", c.Entrypoint, c.Cmd, c.User)
	}
	if slices.ContainsFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, "API_TOKEN=") }) {
		t.Errorf("the Dockerfile's secret reached the image: %q", c.Env)
	}
	var got struct {
		UID      int
		Exe      string
		Greeting string
	}
	askImage(t, img, "/", &got, "-port=%d")
	if got.UID != 65532 || got.Exe != "/app/greeter" || got.Greeting != "hello" {
		t.Errorf("server answered %+v, want uid 65532 running /app/greeter with GREETING=hello", got)
	}
}

// A Go service with a go 1.16 line (older than any golang trixie image) and a SQLite driver that works
// only with cgo: init writes cgo: true and the test from the source, the build takes golang:1-trixie,
// and the test step starts the image, whose health route queries SQLite.
func TestRealProjectGoCgoDriver(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/go/testdata/cgodriver")
	for _, want := range []string{"artifacts: [.]\n", "\ncgo: true\n", "test:\n  http: {port: 8080, path: /healthz}\n"} {
		if !strings.Contains(spec, want) {
			t.Errorf("spec lacks %q", want)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/base-debian13:nonroot" {
		t.Errorf("base %q, want distroless base (glibc) for cgo", got)
	}
	var got struct {
		UID    int
		SQLite string
	}
	askImage(t, img, "/healthz", &got, "%d")
	if got.UID != 65532 || !strings.HasPrefix(got.SQLite, "3.") {
		t.Errorf("server answered %+v, want uid 65532 and the SQLite version", got)
	}
}
