//go:build integration

package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	golang "github.com/hardenedbuild/hardened/lang/go"
	"github.com/hardenedbuild/hardened/lang/java"
	"github.com/hardenedbuild/hardened/lang/rust"
)

// ciCase is the ci case of issue 26 for one example: a build exports its cache to the registry, the
// builder is wiped (cache mounts included), a one-line change follows, and the build imports the
// registry cache. The steps whose names start with deps must come from the import, the ones in
// rebuilt must run (the change reached the build, so the reuse is the layer's key at work).
type ciCase struct {
	example, file, old string // the example, the file changed, a line's text changed
	manifest, comment  string // a manifest given a comment of its own, so the first build makes the layer
	deps               []string
	rebuilt            []string
	notInLog           []string // output only a rebuilt dependency layer prints
}

// runCICase runs the case and returns the second build's log and image.
func runCICase(t *testing.T, c ciCase) (string, string) {
	ctx := context.Background()
	dir := copyExample(t, c.example)
	file := filepath.Join(dir, c.file)
	// A source of its own, so nothing of other tests' builds can stand in for the crate's compile.
	own := fmt.Sprintf("%s %d", c.old, time.Now().UnixNano())
	writeFile(t, file, replaceOnce(t, readHost(t, file), c.old, own))
	if c.manifest != "" {
		m := filepath.Join(dir, c.manifest)
		writeFile(t, m, string(readHost(t, m))+fmt.Sprintf(c.comment, time.Now().UnixNano()))
	}
	spec := filepath.Join(dir, "hardened.yaml")
	cache := fmt.Sprintf("%s/hardened-test-cache:ci-%s-%d", st.Registry, c.example, time.Now().UnixNano())

	first := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "--cache-to", "type=registry,ref="+cache+",mode=max",
		"-o", "type=oci,dest="+filepath.Join(t.TempDir(), "a.tar"), dir))
	for _, d := range c.deps {
		if len(stepsStarting(first, d)) == 0 {
			t.Fatalf("the build has no step %q:\n%s", d, tail(first, 40))
		}
	}
	build(t, st.Buildctl(ctx, "prune", "--all"))
	writeFile(t, file, replaceOnce(t, readHost(t, file), own, "next commit"))

	out := filepath.Join(t.TempDir(), "b.tar")
	log := build(t, st.Buildx(ctx, "build", "-f", spec, "--progress", "plain", "--cache-from", "type=registry,ref="+cache, "-o", "type=oci,dest="+out, dir))
	for _, d := range c.deps {
		for _, name := range stepsStarting(log, d) {
			// An imported step may show its inputs' extraction alone; one that ran prints its output.
			if !stepImported(log, name) || stepPrinted(log, name) {
				t.Errorf("the dependency step %q ran again after a one-line change:\n%s", name, tail(log, 80))
			}
		}
	}
	for _, name := range c.rebuilt {
		if stepImported(log, name) {
			t.Errorf("%q did not run after a source change:\n%s", name, tail(log, 80))
		}
		t.Logf("on the fresh builder %q took %s", name, stepTime(log, name))
	}
	for _, s := range c.notInLog {
		if strings.Contains(log, s) {
			t.Errorf("the log has %q: the dependencies compiled again:\n%s", s, tail(log, 80))
		}
	}
	return log, out
}

// TestCIReusesTheRustDependencyLayer: cargo builds the vendored crate in the dependency layer, which
// the registry cache carries; the crate's own code compiles on it.
func TestCIReusesTheRustDependencyLayer(t *testing.T) {
	log, out := runCICase(t, ciCase{
		example: "rust", file: "src/main.rs", old: "hello from a hardened rust image",
		manifest: "Cargo.toml", comment: "# ci %d\n",
		deps:     []string{rust.SkeletonStep, rust.DepsStep, "cargo clean the dummy"},
		rebuilt:  []string{"copy source", "cargo install --locked server for linux/amd64 into /hardened/out"},
		notInLog: []string{"Compiling itoa"},
	})
	if !strings.Contains(log, "Compiling server v0.1.0") {
		t.Errorf("the crate was not compiled:\n%s", tail(log, 40))
	}
	assertRustServes(t, only(t, ociImages(t, out)), "next commit")
}

// TestCIReusesTheGoDependencyLayer: the standard library and chi compile in the dependency layer,
// keyed by the list of imported packages; the list and the module's own compile run again, the
// compile first taking the layer's entries into the empty cache mount.
func TestCIReusesTheGoDependencyLayer(t *testing.T) {
	log, out := runCICase(t, ciCase{
		example: "go", file: "cmd/server/main.go", old: "hello from a hardened image",
		manifest: "go.mod", comment: "// ci %d\n",
		deps:    []string{golang.ModulesStep, golang.DepsStep},
		rebuilt: []string{golang.ListStep, "compile ./cmd/server for linux/amd64"},
	})
	// The pruned builder's cache mount is empty: the compile takes the layer's entries into it.
	if !strings.Contains(stepOutput(log, "compile ./cmd/server for linux/amd64"), golang.SeedMessage) {
		t.Errorf("the compile on a fresh builder did not take the dependency layer:\n%s", tail(log, 40))
	}
	assertHardenedGo(t, only(t, ociImages(t, out)), "gcr.io/distroless/static-debian13:nonroot")
}

// TestCIReusesTheNodeDependencyLayer: npm ci runs on package.json and the lock alone.
func TestCIReusesTheNodeDependencyLayer(t *testing.T) {
	runCICase(t, ciCase{
		example: "node", file: "lib/greeting.js", old: "hello, ",
		deps:    []string{"copy package.json and package-lock.json", "npm ci"},
		rebuilt: []string{"copy source"},
	})
}

// TestCIReusesThePythonDependencyLayer: pip installs from requirements.txt and the wheels it names.
func TestCIReusesThePythonDependencyLayer(t *testing.T) {
	runCICase(t, ciCase{
		example: "python", file: "hello/__init__.py", old: "hello, ",
		manifest: "requirements.txt", comment: "# ci %d\n",
		deps:    []string{"python3 -m venv", "python3 -m pip", "lay out the virtualenv", "compile bytecode in /deps"},
		rebuilt: []string{"copy source", "compile bytecode in /hardened/out"},
	})
}

// stepsStarting lists the names of the log's steps that start with prefix.
func stepsStarting(log, prefix string) []string {
	re := regexp.MustCompile(`(?m)^#\d+ (?:\[[^\]]*\] )?(` + regexp.QuoteMeta(prefix) + `.*?)\s*$`)
	var names []string
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		if !strings.Contains(strings.Join(names, "\n"), m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// stepPrinted reports whether the step name printed output, as a command that runs does
// ("#N 0.123 text"); an imported step prints none.
func stepPrinted(log, name string) bool {
	re := regexp.MustCompile(`(?m)^#(\d+) (?:\[[^\]]*\] )?` + regexp.QuoteMeta(name) + `\s*$`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		if regexp.MustCompile(`(?m)^#` + m[1] + ` \d+\.\d+ `).MatchString(log) {
			return true
		}
	}
	return false
}

// stepTime is the time the log's step name reports when done.
func stepTime(log, name string) string {
	re := regexp.MustCompile(`(?m)^#(\d+) (?:\[[^\]]*\] )?` + regexp.QuoteMeta(name) + `\s*$`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		if d := regexp.MustCompile(`(?m)^#` + m[1] + ` DONE (\S+)`).FindStringSubmatch(log); d != nil {
			return d[1]
		}
	}
	return "?"
}

func replaceOnce(t *testing.T, data []byte, old, new string) string {
	t.Helper()
	if !strings.Contains(string(data), old) {
		t.Fatalf("no %q to change", old)
	}
	return strings.Replace(string(data), old, new, 1)
}

// TestCIReusesTheJavaRuntime: the JRE is linked from the module list alone, so after a one-line change
// on a fresh builder it comes from the registry cache while javac, jar and jdeps run again.
func TestCIReusesTheJavaRuntime(t *testing.T) {
	_, out := runCICase(t, ciCase{
		example: "java", file: "src/main/java/com/example/hello/Greeting.java", old: "hello,",
		deps: []string{java.JREStep},
		rebuilt: []string{"copy source", "javac --release 21 and jar in one JVM: /hardened/out/Server.jar; " +
			"jdeps: the modules they need, into /hardened/jre-modules/modules"},
		notInLog: []string{"hardened: linked a JRE"},
	})
	img := only(t, ociImages(t, out))
	assertJlinkedJRE(t, img, flatFiles(t, img), "21.")
	// The JRE's layer came from the cache; its history names it as a build does, so the image is the one
	// a builder that ran every step makes (BuildKit alone writes "imported sha256:...").
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range cf.History {
		if strings.HasPrefix(h.CreatedBy, "imported ") {
			t.Errorf("history entry %q: a layer from the cache is named by where it came from", h.CreatedBy)
		}
	}
}
