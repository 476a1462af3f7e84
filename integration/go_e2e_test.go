//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	golang "github.com/hardenedbuild/hardened/lang/go"
)

const epoch = 1700000000

// TestGoExampleBuildx is the user's path: docker buildx build -f hardened.yaml, the
// `# syntax=` line pulling our frontend image, an OCI tarball out.
func TestGoExampleBuildx(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-arg", fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch),
		"-o", "type=oci,dest="+out, dir))
	img := only(t, ociImages(t, out))
	assertHardenedGo(t, img, "gcr.io/distroless/static-debian13:nonroot")

	cf, _ := img.ConfigFile()
	if got := cf.Created.Time.Unix(); got != epoch {
		t.Errorf("config created = %v, want SOURCE_DATE_EPOCH %d", cf.Created.Time, epoch)
	}
	if h := flatFiles(t, img)["/app/server"]; h == nil || h.ModTime.Unix() != epoch {
		t.Errorf("/app/server mtime is not SOURCE_DATE_EPOCH: %+v", h)
	}
	assertServes(t, img)
}

// TestGoExampleBuildctl drives the frontend image directly through the gateway, with
// no filename option: hardened.yaml is the default.
func TestGoExampleBuildctl(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildctl(context.Background(), "build",
		"--frontend", "gateway.v0", "--opt", "source=ghcr.io/hardenedbuild/hardened:1",
		"--local", "context="+dir, "--local", "dockerfile="+dir,
		"--output", "type=oci,dest="+out))
	img := only(t, ociImages(t, out))
	assertHardenedGo(t, img, "gcr.io/distroless/static-debian13:nonroot")
	assertServes(t, img)
}

// TestGoMultiPlatform cross-compiles on the build platform into a two-platform index.
func TestGoMultiPlatform(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--platform", "linux/amd64,linux/arm64", "--progress", "plain", "-o", "type=oci,dest="+out, dir))
	imgs := ociImages(t, out)
	want := map[string]elf.Machine{"linux/amd64": elf.EM_X86_64, "linux/arm64": elf.EM_AARCH64}
	for plat, machine := range want {
		img, ok := imgs[plat]
		if !ok {
			t.Fatalf("no %s image in the index; have %v", plat, keys(imgs))
		}
		assertHardenedGo(t, img, "gcr.io/distroless/static-debian13:nonroot")
		f, err := elf.NewFile(bytes.NewReader(readFile(t, img, "/app/server")))
		if err != nil {
			t.Fatalf("%s /app/server: %v", plat, err)
		}
		if f.Machine != machine {
			t.Errorf("%s /app/server is %v, want %v", plat, f.Machine, machine)
		}
	}
	// Both compiles ran on the build platform: buildkitd here has no emulator at all,
	// so an arm64 exec would have failed; the progress names the target instead.
	if !strings.Contains(log, "compile ./cmd/server for linux/arm64") {
		t.Errorf("no cross-compile step in the progress output")
	}
}

// TestSetuidFromAStepIsStripped: a build step that sets u+s and g+s on the artifact
// still yields an image with no such bit, and the build's own check passes.
func TestSetuidFromAStepIsStripped(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	writeFile(t, filepath.Join(dir, "hardened.yaml"), `# syntax=ghcr.io/hardenedbuild/hardened:1
language: go
artifacts: [./cmd/server]
build:
  steps:
    - name: mark the artifact setuid and setgid
      run: [chmod, "u+s,g+s", /out/server]
`)
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--progress", "plain", "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, "mark the artifact setuid and setgid") {
		t.Fatalf("the chmod step did not run:\n%s", tail(log, 30))
	}
	img := only(t, ociImages(t, out))
	h := flatFiles(t, img)["/app/server"]
	if h == nil {
		t.Fatal("no /app/server")
	}
	if h.Mode&0o6000 != 0 || h.Mode&0o755 != 0o755 {
		t.Errorf("/app/server mode = %o, want 0755 without setuid/setgid", h.Mode)
	}
	assertNoSetuid(t, img)
}

// TestRootUserIsRefused: user 0 fails before anything is built, at the spec position.
func TestRootUserIsRefused(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	writeFile(t, filepath.Join(dir, "hardened.yaml"), "# syntax=ghcr.io/hardenedbuild/hardened:1\nlanguage: go\nartifacts: [./cmd/server]\nuser: 0\n")
	log := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain", dir))
	if !strings.Contains(log, "hardened.yaml:4:7") || !strings.Contains(log, "uid 0") {
		t.Errorf("want an error at hardened.yaml:4:7 about uid 0, got:\n%s", tail(log, 30))
	}
	assertNoGoStack(t, log)
}

// TestBadSpecReportsEveryProblem: all problems at once, each with its position.
func TestBadSpecReportsEveryProblem(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := copyExample(t, "go")
	writeFile(t, filepath.Join(dir, "hardened.yaml"), `# syntax=ghcr.io/hardenedbuild/hardened:1
language: go
artifact: [./cmd/server]
expose: [99999]
`)
	log := buildFails(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"), "--progress", "plain", dir))
	for _, want := range []string{"hardened.yaml:3:1", "artifacts", "hardened.yaml:4:10"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(log, 30))
		}
	}
	assertNoGoStack(t, log)
}

// TestNamedContextsOverrideImages: --build-context replaces the builder by its short
// name and the base by its full name, as the Dockerfile frontend allows.
func TestNamedContextsOverrideImages(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	log := build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(dir, "hardened.yaml"),
		"--build-context", "golang=docker-image://docker.io/library/golang:"+hostGoVersion(t)+"-trixie",
		"--build-context", "gcr.io/distroless/static-debian13=docker-image://gcr.io/distroless/base-debian13:nonroot",
		"--progress", "plain", "-o", "type=oci,dest="+out, dir))
	if !strings.Contains(log, "[context golang") {
		t.Errorf("the golang named context was not used:\n%s", tail(log, 40))
	}
	img := only(t, ociImages(t, out))
	cf, _ := img.ConfigFile()
	if got, want := cf.Config.Labels["org.opencontainers.image.base.digest"], registryDigest(t, "distroless/base-debian13:nonroot"); got != want {
		t.Errorf("base digest label = %s, want the override's %s", got, want)
	}
	if got := cf.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/base-debian13:nonroot" {
		t.Errorf("base name label = %s, want the override's name", got)
	}
	files := flatFiles(t, img)
	if !hasPrefix(files, "/lib/x86_64-linux-gnu/libc.so") && !hasPrefix(files, "/usr/lib/x86_64-linux-gnu/libc.so") {
		t.Errorf("the base override did not bring libc: the image is not on base-debian13")
	}
	assertNoSetuid(t, img)
}

// assertHardenedGo checks what every Go example image must hold.
func assertHardenedGo(t *testing.T, img v1.Image, base string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/app/server"}) {
		t.Errorf("entrypoint = %q", c.Entrypoint)
	}
	assertBase(t, c, base)
	files := flatFiles(t, img)
	for _, sh := range []string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/bin/busybox"} {
		if _, ok := files[sh]; ok {
			t.Errorf("the image has a shell: %s", sh)
		}
	}
	h := files["/app/server"]
	if h == nil {
		t.Fatalf("no /app/server in the image")
	}
	if h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("/app/server uid %d mode %o: the artifact must be root-owned and not writable by the runtime user", h.Uid, h.Mode)
	}
	assertNoSetuid(t, img)
	// Nothing of the base to clear: the artifacts are the top layer, no layer of cleared bits above them.
	for _, h := range topLayerHeaders(t, img) {
		if name := "/" + strings.TrimPrefix(h.Name, "./"); name != "/app" && !strings.HasPrefix(name, "/app/") {
			t.Errorf("the top layer holds %s: want only /app (the artifacts)", name)
		}
	}
}

// assertBase checks the base labels: the base's name, and the digest the registry serves it at.
func assertBase(t *testing.T, c v1.Config, base string) {
	t.Helper()
	if c.Labels["org.opencontainers.image.base.name"] != base {
		t.Errorf("base.name label = %q, want %q", c.Labels["org.opencontainers.image.base.name"], base)
	}
	if got, want := c.Labels["org.opencontainers.image.base.digest"], registryDigest(t, strings.TrimPrefix(base, "gcr.io/")); got != want {
		t.Errorf("base.digest label = %q, want the registry's %q", got, want)
	}
}

// assertNoSetuid looks at every layer, not only the merged view.
func assertNoSetuid(t *testing.T, img v1.Image) {
	t.Helper()
	for _, h := range layerHeaders(t, img) {
		if h.Mode&0o6000 != 0 {
			t.Errorf("%s has mode %o (setuid/setgid)", h.Name, h.Mode)
		}
	}
}

// assertServes runs the image's binary from its own filesystem as its user with a
// read-only root and asks it over HTTP who it runs as.
func assertServes(t *testing.T, img v1.Image) {
	t.Helper()
	var got struct {
		Message string `json:"message"`
		UID     int    `json:"uid"`
	}
	askImage(t, img, "/", &got, "-addr", "127.0.0.1:%d")
	if got.UID != 65532 || !strings.Contains(got.Message, "hardened") {
		t.Errorf("server answered %+v, want uid 65532", got)
	}
}

func assertNoGoStack(t *testing.T, log string) {
	t.Helper()
	if strings.Contains(log, "goroutine ") || strings.Contains(log, "panic:") || regexp.MustCompile(`\.go:\d+ \+0x`).MatchString(log) {
		t.Errorf("the output has a Go stack trace:\n%s", tail(log, 40))
	}
}

// stepCached reports whether the plain progress shows the named vertex as CACHED.
func stepCached(log, name string) bool {
	re := regexp.MustCompile(`(?m)^#(\d+) (?:\[[^\]]*\] )?` + regexp.QuoteMeta(name) + `\s*$`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		if regexp.MustCompile(`(?m)^#` + m[1] + ` CACHED\s*$`).MatchString(log) {
			return true
		}
	}
	return false
}

// registryDigest is the digest the local registry serves for a gcr.io/... name.
func registryDigest(t *testing.T, repoTag string) string {
	t.Helper()
	ref, err := name.ParseReference(st.Registry+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(ref)
	if err != nil {
		t.Fatalf("head %s: %v", ref, err)
	}
	return d.Digest.String()
}

func readFile(t *testing.T, img v1.Image, path string) []byte {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the image: %v", path, err)
		}
		if "/"+strings.TrimPrefix(filepath.Clean("/"+h.Name), "/") == path {
			dt, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return dt
		}
	}
}

func hasPrefix(files map[string]*tar.Header, prefix string) bool {
	for p := range files {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestReproducibleByDefault: the same source built twice with every step re-run
// (--no-cache) gives the same image digest, with no flag or build arg. Every step running, the
// first build also shows no scan of the base and the base unpacked apart from the final stage
// (assertBaseUnpackedNotScanned).
func TestReproducibleByDefault(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "go")
	var digests []string
	for i := 0; i < 2; i++ {
		out := filepath.Join(t.TempDir(), "app.tar")
		log := build(t, st.Buildx(context.Background(), "build", "--no-cache", "-f", filepath.Join(dir, "hardened.yaml"),
			"--progress", "plain", "-o", "type=oci,dest="+out, dir))
		if i == 0 {
			assertBaseUnpackedNotScanned(t, log, "gcr.io/distroless/static-debian13", true) // buildx asks for provenance
		}
		img := only(t, ociImages(t, out))
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same source differ: %s and %s", digests[0], digests[1])
	}
}

// TestOCILayoutContextOverridesBase: a base from an OCI layout on disk, as air-gapped
// teams provide it, replaces the distroless base by name.
func TestOCILayoutContextOverridesBase(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	ref, err := name.ParseReference(st.Registry+"/distroless/base-debian13:nonroot", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	dgst, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}

	example := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "-f", filepath.Join(example, "hardened.yaml"),
		"--build-context", "gcr.io/distroless/static-debian13=oci-layout://"+dir+"@"+dgst.String(),
		"-o", "type=oci,dest="+out, example))
	img := only(t, ociImages(t, out))
	cf, _ := img.ConfigFile()
	if got := cf.Config.Labels["org.opencontainers.image.base.digest"]; got != dgst.String() {
		t.Errorf("base digest label = %s, want the layout's %s", got, dgst)
	}
	assertNoSetuid(t, img)
}

// TestSBOMCoversImageAndBuilder: --sbom=true yields SPDX attestations the frontend made
// itself: Debian packages of the base, Go modules of the binary, and the builder's
// packages as a second document.
func TestSBOMCoversImageAndBuilder(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	dir := filepath.Join(repoRoot, "examples", "go")
	out := filepath.Join(t.TempDir(), "app.tar")
	build(t, st.Buildx(context.Background(), "build", "--sbom=true", "-f", filepath.Join(dir, "hardened.yaml"),
		"-o", "type=oci,dest="+out, dir))
	docs := spdxDocuments(t, out)
	image, builder := docs["image"], docs["builder"]
	for _, want := range []string{"pkg:golang/github.com/go-chi/chi/v5@v5.5.0", "pkg:golang/stdlib@go", "pkg:deb/debian/tzdata@", "pkg:deb/debian/base-files@"} {
		if !strings.Contains(image, want) {
			t.Errorf("the image SBOM lacks %s", want)
		}
	}
	for _, want := range []string{"pkg:deb/debian/gcc", "pkg:deb/debian/libc6@"} {
		if !strings.Contains(builder, want) {
			t.Errorf("the builder SBOM lacks %s", want)
		}
	}
	if strings.Contains(image, "pkg:deb/debian/gcc") {
		t.Error("the image SBOM lists the builder's compiler")
	}
}

// spdxDocuments reads the SPDX predicates of an OCI output, by document name.
func spdxDocuments(t *testing.T, tarPath string) map[string]string {
	t.Helper()
	docs := map[string]string{}
	for _, p := range predicates(t, tarPath, "https://spdx.dev/Document") {
		var doc struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(p, &doc)
		docs[doc.Name] = string(p)
	}
	if len(docs) == 0 {
		t.Fatal("no SPDX attestation in the output")
	}
	return docs
}

// TestSBOMCoversLanguagePackages: the frontend's own SBOM names each example's real dependencies
// with versions and purls: an npm package, a Python distribution and a Rust crate (a Debian
// runtime library: TestRuntimeLibsGoCgo).
func TestSBOMCoversLanguagePackages(t *testing.T) {
	t.Parallel() // see TestMain: it shares nothing with the other tests
	for example, wants := range map[string][]string{
		// distroless nodejs carries the upstream Node.js tarball, not Debian's package; its cc packages are debs.
		"node":   {"pkg:npm/express@4.", "pkg:deb/debian/libgcc-s1@"},
		"python": {"pkg:pypi/itsdangerous@2.2.0"},
		"rust":   {"pkg:cargo/itoa@1.0.1", "pkg:deb/debian/libgcc-s1@"},
	} {
		t.Run(example, func(t *testing.T) {
			dir := filepath.Join(repoRoot, "examples", example)
			out := filepath.Join(t.TempDir(), "app.tar")
			build(t, st.Buildx(context.Background(), "build", "--sbom=true", "-f", filepath.Join(dir, "hardened.yaml"),
				"-o", "type=oci,dest="+out, dir))
			image := spdxDocuments(t, out)["image"]
			for _, want := range wants {
				if !strings.Contains(image, want) {
					t.Errorf("the image SBOM of examples/%s lacks %s", example, want)
				}
			}
		})
	}
}

// TestGoDependencyLayerOnTheSharedCache: on a warm builder a new import compiles at most that package in
// the dependency step, which builds on the shared cache mount, and neither that build's compile nor a
// source change's takes the layer's entries into the mount again (the layer's marker is there).
func TestGoDependencyLayerOnTheSharedCache(t *testing.T) {
	ctx := context.Background()
	dir := copyExample(t, "go")
	spec := filepath.Join(dir, "hardened.yaml")
	run := func() string {
		return build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "-o", "type=oci,dest="+filepath.Join(t.TempDir(), "app.tar"), dir))
	}
	deps, compile := golang.DepsStep+" for linux/amd64", "compile ./cmd/server for linux/amd64"
	// A go.mod of its own: the first build's dependency step runs, on the mount the next builds share.
	gomod := filepath.Join(dir, "go.mod")
	writeFile(t, gomod, string(readHost(t, gomod))+fmt.Sprintf("// shared cache %d\n", time.Now().UnixNano()))
	if log := run(); stepCached(log, deps) {
		t.Fatalf("the dependency step did not run for a go.mod of its own:\n%s", tail(log, 40))
	}

	// The new package may be on the mount already (another build's), so the step may compile nothing;
	// what it must not compile again is what the first build put there.
	writeFile(t, filepath.Join(dir, "cmd", "server", "xml.go"), "package main\n\nimport _ \"encoding/xml\"\n")
	log := run()
	if out := stepOutput(log, deps); stepCached(log, deps) || strings.Contains(out, "net/http") {
		t.Errorf("after a new import the dependency step was cached %v or compiled what the mount had:\n%s", stepCached(log, deps), out)
	}
	if out := stepOutput(log, compile); strings.Contains(out, golang.SeedMessage) {
		t.Errorf("the compile took the layer the mount was made with:\n%s", out)
	}

	main := filepath.Join(dir, "cmd", "server", "main.go")
	writeFile(t, main, replaceOnce(t, readHost(t, main), "hello from a hardened image", fmt.Sprintf("hello %d", time.Now().UnixNano())))
	log = run()
	if stepCached(log, compile) || !stepCached(log, deps) {
		t.Errorf("a source change: the compile cached %v, the dependency step cached %v; want false, true:\n%s",
			stepCached(log, compile), stepCached(log, deps), tail(log, 40))
	}
	if out := stepOutput(log, compile); strings.Contains(out, golang.SeedMessage) {
		t.Errorf("a source change took the dependency layer into the mount again:\n%s", out)
	}
}

// stepOutput is what the log's step name printed, one line each.
func stepOutput(log, name string) string {
	var out []string
	re := regexp.MustCompile(`(?m)^#(\d+) (?:\[[^\]]*\] )?` + regexp.QuoteMeta(name) + `\s*$`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		for _, l := range regexp.MustCompile(`(?m)^#`+m[1]+` \d+\.\d+ (.*)$`).FindAllStringSubmatch(log, -1) {
			out = append(out, l[1])
		}
	}
	return strings.Join(out, "\n")
}
