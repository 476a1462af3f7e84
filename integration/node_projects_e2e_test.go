//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// A Next.js app with output: "standalone": init writes the spec, next build runs in the builder (a
// real next from the npm registry), and the image is the standalone server with .next/static and
// public beside it, run as 65532 on a read-only root.
func TestNodeProjectNextStandalone(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/node/testdata/nextapp")
	if !strings.Contains(spec, "artifacts: [.next/standalone, .next/static, public]\n") || !strings.Contains(spec, "build:\n  script: build\n") {
		t.Errorf("init wrote:\n%s", spec)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/nodejs/bin/node", "/app/server.js"}) || c.User != "65532:65532" {
		t.Errorf("entrypoint %q user %q", c.Entrypoint, c.User)
	}
	for _, e := range []string{"NODE_ENV=production", "HOSTNAME=0.0.0.0", "PORT=3000"} {
		if !slices.Contains(c.Env, e) {
			t.Errorf("env %q lacks %s", c.Env, e)
		}
	}
	files := flatFiles(t, img)
	static := ""
	for f := range files {
		switch {
		case strings.HasPrefix(f, "/app/.next/static/chunks/") && strings.HasSuffix(f, ".js"):
			static = strings.TrimPrefix(f, "/app/.next")
		case strings.HasPrefix(f, "/app/app/"), strings.HasPrefix(f, "/app/node_modules/@next/swc-"), strings.HasPrefix(f, "/app/.next/standalone"):
			t.Errorf("%s is in the image: sources, the compiler and the standalone directory itself stay in the builder", f)
		}
	}
	for _, f := range []string{"/app/server.js", "/app/package.json", "/app/public/hello.txt", "/app/node_modules/next/package.json"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	if static == "" {
		t.Fatal("the image has no /app/.next/static/chunks/*.js")
	}
	var app int64
	for f, h := range files {
		if strings.HasPrefix(f, "/app/") {
			app += h.Size
		}
	}
	t.Logf("sizes: hardened image %s (%s compressed), of which /app %s", mb(unpackedSize(t, img)), mb(compressedSize(t, img)), mb(app))

	// server.js reads PORT: the test gives it a free one, as a deployment would.
	port := freePort(t)
	cfg := cf.DeepCopy()
	cfg.Config.Env = append(cfg.Config.Env, "PORT="+strconv.Itoa(port))
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := runImage(t, img)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	body, err := waitHTTP(ctx, r, base+"/api/info")
	if err != nil {
		t.Fatalf("the standalone server did not answer: %v", err)
	}
	var got struct {
		UID     int
		NodeEnv string
		Cwd     string
	}
	if err := json.Unmarshal(body, &got); err != nil || got.UID != 65532 || got.NodeEnv != "production" || got.Cwd != "/app" {
		t.Errorf("/api/info answered %s (%v), want uid 65532, NODE_ENV production, cwd /app", body, err)
	}
	for path, want := range map[string]string{"/hello.txt": "served from public/", "/": "rendered on the server by uid 65532", "/_next" + static: ""} {
		if b, code := get(t, base+path); code != http.StatusOK || !strings.Contains(b, want) {
			t.Errorf("GET %s: %d %.200q, want 200 with %q", path, code, b, want)
		}
	}
}

// A monorepo's root (npm workspaces): init picks the one package with a start script, the
// install at the root is focused on it (npm ci --workspace) and links the sibling package it
// requires, so the other package's lodash is not shipped; the image runs it as 65532.
func TestNodeProjectWorkspace(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	spec, img := initAndBuild(t, "lang/node/testdata/workspace")
	if !strings.Contains(spec, "artifacts: [packages/api/src/server.js, packages/api, packages/shared]\n") {
		t.Errorf("init wrote:\n%s", spec)
	}
	files := flatFiles(t, img)
	if files["/app/node_modules/lodash/package.json"] != nil {
		t.Error("/app/node_modules/lodash is in the image: the install was not focused on packages/api")
	}
	t.Logf("/app: %d bytes with the install focused on packages/api", appBytes(files))
	for _, f := range []string{"/app/packages/api/src/server.js", "/app/packages/shared/index.js", "/app/node_modules/ms/package.json"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "/app/packages/api/api/") {
			t.Errorf("%s: the app's package was copied into itself", f)
		}
		if strings.HasPrefix(f, "/app/packages/web/") || f == "/app/package-lock.json" {
			t.Errorf("%s is in the image: only the app and the packages it uses ship", f)
		}
	}
	var got struct {
		UID      int
		NodeEnv  string
		Greeting string
		Timeout  int
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.NodeEnv != "production" || got.Greeting != "hello from shared, workspace" || got.Timeout != 120000 {
		t.Errorf("server answered %+v, want uid 65532 and the sibling package's greeting", got)
	}
}

// The same monorepo on pnpm (pnpm-workspace.yaml, workspace:* for the sibling, the lock written on the
// host), with init run in the app's own directory: the spec it writes there builds with the root as
// the context, and pnpm's per-package node_modules links reach the image.
func TestNodeProjectPnpmWorkspaceMember(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "workspace")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/node/testdata/workspace"))); err != nil {
		t.Fatal(err)
	}
	rm(t, dir, "package-lock.json")
	editPackageJSON(t, dir, func(p map[string]any) { delete(p, "workspaces"); p["packageManager"] = "pnpm@9.15.9" })
	editPackageJSON(t, filepath.Join(dir, "packages/api"), func(p map[string]any) {
		p["dependencies"].(map[string]any)["@demo/shared"] = "workspace:*"
	})
	writeFile(t, filepath.Join(dir, "pnpm-workspace.yaml"), "packages:\n  - packages/*\n")
	host(t, dir, "npx", "--yes", "pnpm@9.15.9", "install", "--lockfile-only")

	app := filepath.Join(dir, "packages", "api")
	initCmd := exec.Command("go", "run", "./cmd/hardened", "init", app)
	initCmd.Dir = repoRoot
	if out := build(t, initCmd); !strings.Contains(out, "-o type=oci,dest=app.tar "+dir+"\n") {
		t.Errorf("init does not name the root as the build context:\n%s", out)
	}
	spec := readHost(t, filepath.Join(app, "hardened.yaml"))
	if !strings.Contains(string(spec), "artifacts: [packages/api/src/server.js, packages/api, packages/shared]\n") {
		t.Errorf("init wrote:\n%s", spec)
	}
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(app, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, "pnpm install --frozen-lockfile --prod --filter {./packages/api}...") {
		t.Errorf("the build log has no pnpm install:\n%s", tail(log, 40))
	}
	img := only(t, ociImages(t, out))
	files := flatFiles(t, img)
	if h := files["/app/packages/api/node_modules/@demo/shared"]; h == nil || h.Typeflag != tar.TypeSymlink {
		t.Errorf("/app/packages/api/node_modules/@demo/shared = %v, want pnpm's link to the sibling", h)
	}
	for f := range files {
		if strings.Contains(f, "/lodash") {
			t.Errorf("%s is in the image: the install was not focused on packages/api", f)
		}
	}
	var got struct {
		UID      int
		Greeting string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "hello from shared, workspace" {
		t.Errorf("server answered %+v, want uid 65532 and the sibling package's greeting", got)
	}
}

// get is one GET's body and status.
func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return "", 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// appBytes is the size of the regular files under /app.
func appBytes(files map[string]*tar.Header) int64 {
	var n int64
	for f, h := range files {
		if strings.HasPrefix(f, "/app/") && h.Typeflag == tar.TypeReg {
			n += h.Size
		}
	}
	return n
}

// The npm workspace without the focus, for the size it saves: a root build script makes the
// install the whole workspace's (then pruned), as before focused installs, and lodash ships.
func TestNodeProjectWorkspaceUnfocused(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "workspace")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/node/testdata/workspace"))); err != nil {
		t.Fatal(err)
	}
	editPackageJSON(t, dir, func(p map[string]any) { p["scripts"] = map[string]any{"build": "node -e 0"} })
	writeFile(t, filepath.Join(dir, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: node\nartifacts: [packages/api/src/server.js, packages/api, packages/shared]\nbuild:\n  script: build\n")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	files := flatFiles(t, only(t, ociImages(t, out)))
	if files["/app/node_modules/lodash/package.json"] == nil {
		t.Error("the whole workspace's install lacks the other package's lodash")
	}
	t.Logf("/app: %d bytes with the whole workspace installed", appBytes(files))
}

// hardened init in a workspace package's directory, then hardened dockerfile -f on the spec it
// wrote there: the Dockerfile is for the workspace root as the build context (said on stderr),
// leaves the spec out of the source copy, and BuildKit's Dockerfile frontend builds it from the
// root into an image that runs the app as 65532 with only its package's dependencies.
func TestNodeProjectWorkspaceDockerfile(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "workspace")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/node/testdata/workspace"))); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hardened")
	goBuild := exec.Command("go", "build", "-o", bin, "./cmd/hardened")
	goBuild.Dir = repoRoot
	build(t, goBuild)
	initCmd := exec.Command(bin, "init", "packages/api")
	initCmd.Dir = dir
	build(t, initCmd)

	lockDir := t.TempDir()
	build(t, st.Buildx(context.Background(), "build", "--target", "lock", "-f", filepath.Join(dir, "packages/api/hardened.yaml"),
		"-o", "type=local,dest="+lockDir, dir))
	dfCmd := exec.Command(bin, "dockerfile", "-f", "packages/api/hardened.yaml", "--lock", filepath.Join(lockDir, "hardened.lock"))
	dfCmd.Dir = dir
	var stderr strings.Builder
	dfCmd.Stderr = &stderr
	df, err := dfCmd.Output()
	if err != nil {
		t.Fatalf("hardened dockerfile: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "packages/api is a package of the workspace at ., the build context") {
		t.Errorf("stderr does not name the root as the build context: %s", stderr.String())
	}
	for _, want := range []string{"from packages/api/hardened.yaml", "--exclude=packages/api/hardened.yaml", `"--workspace","packages/api"`} {
		if !strings.Contains(string(df), want) {
			t.Errorf("the Dockerfile lacks %q:\n%s", want, df)
		}
	}
	dfPath := filepath.Join(t.TempDir(), "Dockerfile")
	writeFile(t, dfPath, string(df))
	out := filepath.Join(t.TempDir(), "df.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", dfPath, "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	files := flatFiles(t, img)
	for _, f := range []string{"/app/packages/api/src/server.js", "/app/packages/shared/index.js", "/app/node_modules/ms/package.json"} {
		if files[f] == nil {
			t.Errorf("the image has no %s", f)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "/app/node_modules/lodash") || strings.HasSuffix(f, "hardened.yaml") {
			t.Errorf("%s is in the image", f)
		}
	}
	var got struct {
		UID      int
		Greeting string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "hello from shared, workspace" {
		t.Errorf("server answered %+v, want uid 65532 and the sibling package's greeting", got)
	}
}

// The monorepo on yarn 4 (packageManager yarn@4.5.3, the lock written on the host): after the
// immutable install of the whole workspace, yarn workspaces focus --production in packages/api
// leaves its production dependencies and the sibling it requires, not the other package's lodash.
func TestNodeProjectYarnWorkspaceFocus(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(t.TempDir(), "workspace")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "lang/node/testdata/workspace"))); err != nil {
		t.Fatal(err)
	}
	rm(t, dir, "package-lock.json")
	editPackageJSON(t, dir, func(p map[string]any) { p["packageManager"] = "yarn@4.5.3" })
	host(t, dir, "npx", "--yes", "@yarnpkg/cli-dist@4.5.3", "install", "--mode=update-lockfile")
	rm(t, dir, ".yarn")
	writeFile(t, filepath.Join(dir, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: node\nartifacts: [packages/api/src/server.js, packages/api, packages/shared]\n")
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain",
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, "yarn workspaces focus --production") || strings.Contains(log, "focus --all") {
		t.Errorf("the build log has no focus on packages/api:\n%s", tail(log, 40))
	}
	img := only(t, ociImages(t, out))
	files := flatFiles(t, img)
	if files["/app/node_modules/ms/package.json"] == nil || files["/app/node_modules/lodash/package.json"] != nil {
		t.Error("the image lacks the app's ms, or holds the other package's lodash")
	}
	var got struct {
		UID      int
		Greeting string
	}
	askImage(t, img, "/", &got, "--port=%d")
	if got.UID != 65532 || got.Greeting != "hello from shared, workspace" {
		t.Errorf("server answered %+v, want uid 65532 and the sibling package's greeting", got)
	}
}
