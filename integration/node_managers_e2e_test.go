//go:build integration

package integration

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestNodePnpmBuildx converts examples/node to pnpm (a packageManager at an exact version, a
// devDependency and a build script that needs it, pnpm-lock.yaml written on the host), builds
// it through docker buildx, and checks the image answers and holds production dependencies
// only, and no pnpm or npm.
func TestNodePnpmBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	rm(t, dir, "package-lock.json")
	editPackageJSON(t, dir, func(p map[string]any) {
		p["packageManager"] = "pnpm@9.15.9"
		p["devDependencies"] = map[string]any{"is-number": "7.0.0"}
		p["scripts"].(map[string]any)["build"] = `node -e "require('is-number')"`
	})
	host(t, dir, "npx", "--yes", "pnpm@9.15.9", "install", "--lockfile-only")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+"build:\n  script: build\n")

	log, img := buildNodeApp(t, dir)
	for _, step := range []string{"npm install --global --prefix /opt/hardened/pnpm pnpm@9.15.9", "pnpm install --frozen-lockfile",
		"pnpm run build", "pnpm prune --prod"} {
		if !strings.Contains(log, step) {
			t.Errorf("the build log has no step %q:\n%s", step, tail(log, 40))
		}
	}
	files := flatFiles(t, img)
	assertNodeApp(t, img, files)
	if h := files["/app/node_modules/express"]; h == nil || h.Typeflag != tar.TypeSymlink {
		t.Errorf("/app/node_modules/express = %v, want pnpm's symlink into node_modules/.pnpm", h)
	}
	for f := range files {
		if strings.Contains(f, "is-number") {
			t.Errorf("the devDependency is in the image: %s", f)
		}
	}
}

// TestNodeYarnBuildx converts examples/node to yarn v1 (yarn.lock written on the host) and
// builds it: yarn comes from the npm registry, since node:26-trixie-slim, like the official
// image, has none.
func TestNodeYarnBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	rm(t, dir, "package-lock.json")
	host(t, dir, "npx", "--yes", "yarn@1.22.22", "install", "--ignore-scripts", "--ignore-engines", "--non-interactive")
	rm(t, dir, "node_modules")

	log, img := buildNodeApp(t, dir)
	for _, step := range []string{"npm install --global --prefix /opt/hardened/yarn yarn@1", "yarn install --frozen-lockfile --production"} {
		if !strings.Contains(log, step) {
			t.Errorf("the build log has no step %q:\n%s", step, tail(log, 40))
		}
	}
	files := flatFiles(t, img)
	assertNodeApp(t, img, files)
	if files["/app/node_modules/express/package.json"] == nil {
		t.Error("the image has no /app/node_modules/express/package.json")
	}
}

// TestNodeYarnBerryBuildx converts examples/node to yarn 4 (packageManager yarn@4.5.3, yarn.lock
// in berry's format written on the host): that yarn comes from the npm registry, installs with
// --immutable and focuses on production dependencies, into node_modules.
func TestNodeYarnBerryBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	rm(t, dir, "package-lock.json")
	editPackageJSON(t, dir, func(p map[string]any) { p["packageManager"] = "yarn@4.5.3" })
	host(t, dir, "npx", "--yes", "@yarnpkg/cli-dist@4.5.3", "install", "--mode=update-lockfile")
	rm(t, dir, ".yarn")

	log, img := buildNodeApp(t, dir)
	for _, step := range []string{"npm install --global --prefix /opt/hardened/yarn @yarnpkg/cli-dist@4.5.3", "yarn install --immutable",
		"yarn workspaces focus --all --production"} {
		if !strings.Contains(log, step) {
			t.Errorf("the build log has no step %q:\n%s", step, tail(log, 40))
		}
	}
	files := flatFiles(t, img)
	assertNodeApp(t, img, files)
	if files["/app/node_modules/express/package.json"] == nil {
		t.Error("the image has no /app/node_modules/express/package.json")
	}
	for f := range files {
		if strings.HasPrefix(f, "/app/.pnp") || strings.HasPrefix(f, "/app/.yarn") {
			t.Errorf("the image has yarn's %s", f)
		}
	}
}

// pnpm9159 is pnpm 9.15.9 as corepack use pins it: the hash lets corepack check the download itself (the npm
// registry reachable here serves no signatures, which corepack checks otherwise).
const pnpm9159 = "pnpm@9.15.9+sha512.68046141893c66fad01c079231128e9afb89ef87e2691d69e4d40eee228988295fd4682181bae55b58418c3a253bde65a505ec7c5f9403ece5cc3cd37dcf2531"

// TestNodeCorepackPnpmBuildx builds examples/node with pnpm on Node.js 24, whose official image
// (and its stand-in, the real Node.js with its bundled corepack) has corepack: pnpm runs through
// corepack, which fetches the packageManager's version itself, and npm installs no manager.
func TestNodeCorepackPnpmBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	rm(t, dir, "package-lock.json")
	editPackageJSON(t, dir, func(p map[string]any) { p["packageManager"] = pnpm9159 })
	host(t, dir, "npx", "--yes", "pnpm@9.15.9", "install", "--lockfile-only")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+"version: \"24\"\n")

	log, img := buildNodeApp(t, dir)
	// The step is named for pnpm; it runs corepack pnpm (without corepack, npm would install pnpm first).
	if !strings.Contains(log, "pnpm install --frozen-lockfile --prod") {
		t.Errorf("the build log has no pnpm install:\n%s", tail(log, 40))
	}
	if strings.Contains(log, "npm install --global") {
		t.Errorf("npm installed a manager although the image has corepack:\n%s", tail(log, 40))
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	assertBase(t, cf.Config, "gcr.io/distroless/nodejs24-debian13:nonroot")
	assertNodeApp(t, img, flatFiles(t, img))
}

// TestNodeImageYarnBuildx builds examples/node with a yarn v1 lock on Node.js 22, whose official
// image has Yarn 1 in /opt (YARN_VERSION): the build uses that yarn and installs none.
func TestNodeImageYarnBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "node")
	rm(t, dir, "package-lock.json")
	host(t, dir, "npx", "--yes", "yarn@1.22.22", "install", "--ignore-scripts", "--ignore-engines", "--non-interactive")
	rm(t, dir, "node_modules")
	spec := filepath.Join(dir, "hardened.yaml")
	writeFile(t, spec, string(readHost(t, spec))+"version: \"22\"\n")

	log, img := buildNodeApp(t, dir)
	if !strings.Contains(log, "yarn install --frozen-lockfile --production") || strings.Contains(log, "npm install --global") {
		t.Errorf("want the image's yarn install and no npm install --global:\n%s", tail(log, 40))
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	assertBase(t, cf.Config, "gcr.io/distroless/nodejs22-debian13:nonroot")
	files := flatFiles(t, img)
	assertNodeApp(t, img, files)
	if files["/nodejs/bin/node"] == nil {
		t.Error("the image has no /nodejs/bin/node")
	}
}

// buildNodeApp builds dir with docker buildx and returns the log and the one image.
func buildNodeApp(t *testing.T, dir string) (string, v1.Image) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "app.tar")
	start := time.Now()
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain",
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch), "-o", "type=oci,dest="+out, dir))
	t.Logf("built in %s", time.Since(start).Round(time.Second))
	return log, only(t, ociImages(t, out))
}

// assertNodeApp: examples/node's app runs and answers as uid 65532, with no package manager,
// lock file or manager cache in the image.
func assertNodeApp(t *testing.T, img v1.Image, files map[string]*tar.Header) {
	t.Helper()
	managers := []string{"npm", "npx", "npm-cli.js", "pnpm", "pnpm.cjs", "pnpx", "yarn", "yarn.js", "yarnpkg", "corepack", "sh", "bash"}
	for f, h := range files {
		switch {
		case h.Typeflag != tar.TypeDir && slices.Contains(managers, filepath.Base(f)) && !strings.HasPrefix(f, "/app/node_modules/"):
			t.Errorf("the image has %s", f)
		case strings.HasPrefix(f, "/opt/hardened"), strings.HasPrefix(f, "/root/"), strings.HasPrefix(f, "/usr/lib/node_modules"),
			strings.HasPrefix(f, "/app/node_modules/pnpm/"), strings.HasPrefix(f, "/app/node_modules/yarn/"):
			t.Errorf("the image has a package manager or its cache: %s", f)
		case slices.Contains([]string{"/app/pnpm-lock.yaml", "/app/yarn.lock", "/app/package-lock.json", "/app/hardened.yaml"}, f):
			t.Errorf("%s is not an artifact, yet it is in the image", f)
		}
	}
	assertNoSetuid(t, img)

	port := freePort(t)
	r := runImage(t, img, fmt.Sprintf("--port=%d", port))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	body, err := waitHTTP(ctx, r, fmt.Sprintf("http://127.0.0.1:%d/?name=hardened", port))
	if err != nil {
		t.Fatalf("the image's server did not answer: %v", err)
	}
	var got struct {
		Message string
		UID     int
	}
	if err := json.Unmarshal(body, &got); err != nil || got.UID != 65532 || got.Message != "hello, hardened" {
		t.Errorf("server answered %s (%v), want hello, hardened from uid 65532", body, err)
	}
}

func editPackageJSON(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "package.json")
	var p map[string]any
	if err := json.Unmarshal(readHost(t, path), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	dt, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(dt)+"\n")
}

// host runs a command on the host in dir (the npm registry is reachable from here).
func host(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(string(out), 30))
	}
}

func rm(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
