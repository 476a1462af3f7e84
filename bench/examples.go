package main

import (
	"fmt"
	"strings"

	golang "github.com/hardenedbuild/hardened/lang/go"
	"github.com/hardenedbuild/hardened/lang/rust"
)

// An example is one app of examples/ (or a bench-only app of bench/apps/) that every variant builds: its
// hardened.yaml (A) and, in its bench/ directory, the hand-written hardened Dockerfile (B) and the naive one (C).
type example struct {
	Name string // the directory under examples/, unless Dir is set
	// Dir is the app's directory relative to the repository root when it is not examples/<Name>.
	Dir string
	// Toolchain is C's single stage, for the table.
	Toolchain string
	// SourceFile and SourceLine are what a one-line source change edits: a string the app serves, so the
	// artifact changes too.
	SourceFile, SourceLine string
	// FirstOp matches the name of each variant's first builder operation, for the overhead figure.
	FirstOp map[string]string
	// DepsLayer, when set, is the directory (a tar path, no leading slash) of A's dependency layer, the one the
	// frontend makes so a registry cache carries compiled dependencies; the ci case reports its size.
	DepsLayer string
	// Probe, when set, is the text of hardened.yaml that asks for healthcheck.http's probe: the warm case also
	// builds A without it, for an image size compared like with like (B has no HEALTHCHECK: a Dockerfile on
	// distroless has no shell-less probe to run).
	Probe string
	// addDependency, when set, makes the dependency change of run i (the deps case); nil skips that case.
	addDependency func(w *workspace, i int) error
	// prepare, when set, runs after the workspace is made, reset or changed (static: build the prebuilt binary).
	prepare func(w *workspace) error
}

// goDepsLayer and rustDepsLayer are where the frontend's dependency layers keep what they compiled: Go's
// GOCACHE entries (lang/go DepsLayer) and Rust's target directory (lang/rust's rustTargetDir).
var (
	goDepsLayer   = strings.TrimPrefix(golang.DepsLayer, "/") + "/"
	rustDepsLayer = "root/.cache/cargo-target/"
)

// examples are benchmarked in this order; -examples picks some (all of them by default).
var examples = []*example{
	{Name: "go", Toolchain: "golang:1.26-trixie",
		SourceFile: "cmd/server/main.go", SourceLine: `"message": "hello from a hardened image"`,
		FirstOp:   map[string]string{"A": "copy go.mod and go.sum", "B": "COPY go.mod go.sum", "C": "COPY . ."},
		DepsLayer: goDepsLayer, addDependency: uuidDependency.add},
	// A bench-only service with a real dependency graph (26 modules), so the Go figures include compiling one.
	{Name: "gosvc", Dir: "bench/apps/gosvc", Toolchain: "golang:1.26-trixie",
		SourceFile: "internal/notes/api.go", SourceLine: `const Message = "hello from a realistic hardened service"`,
		FirstOp:   map[string]string{"A": "copy go.mod and go.sum", "B": "COPY go.mod go.sum", "C": "COPY . ."},
		DepsLayer: goDepsLayer, addDependency: xidDependency.add},
	{Name: "python", Toolchain: "python:3.13-trixie",
		SourceFile: "hello/__init__.py", SourceLine: `return "hello, " + (name or "world")`,
		FirstOp: map[string]string{"A": "python3 -m venv", "B": "RUN python3 -m venv", "C": "COPY . ."}},
	{Name: "node", Toolchain: "node:26-trixie-slim",
		SourceFile: "lib/greeting.js", SourceLine: "return `hello, ${name || 'world'}`;",
		FirstOp: map[string]string{"A": "copy package.json and package-lock.json", "B": "COPY package.json package-lock.json", "C": "COPY . ."}},
	{Name: "rust", Toolchain: "rust:1-trixie",
		SourceFile: "src/main.rs", SourceLine: `const MESSAGE: &str = "hello from a hardened rust image";`,
		FirstOp:   map[string]string{"A": rust.SkeletonStep, "B": "COPY . .", "C": "COPY . ."},
		DepsLayer: rustDepsLayer},
	// A bench-only service on 32 crates (proc macros, regex, sha2), so the Rust figures include compiling a
	// dependency graph; its vendor/ is laid out from Debian's crate packages before each build (rustcrates.go).
	{Name: "rustsvc", Dir: "bench/apps/rustsvc", Toolchain: "rust:1-trixie",
		SourceFile: "src/main.rs", SourceLine: `const MESSAGE: &str = "hello from a realistic hardened rust service";`,
		FirstOp:   map[string]string{"A": rust.SkeletonStep, "B": "COPY . .", "C": "COPY . ."},
		DepsLayer: rustDepsLayer, prepare: prepareRustVendor},
	{Name: "java", Toolchain: "eclipse-temurin:21-jdk-noble",
		SourceFile: "src/main/java/com/example/hello/Greeting.java", SourceLine: `return "hello, " + name;`,
		FirstOp: map[string]string{"A": "copy source", "B": "COPY src ./src", "C": "COPY . ."}},
	{Name: "static", Toolchain: "debian:trixie (no toolchain: the binary is prebuilt)",
		SourceFile: "src/main.go", SourceLine: `"message": "hello from a prebuilt binary in a hardened image"`,
		FirstOp: map[string]string{"A": "take the prebuilt artifacts from the context", "B": "COPY --chmod=0755 hello-server", "C": "COPY hello-server"},
		Probe:   "healthcheck:\n  http: {port: 8080, path: /}\n  interval: 30s\n  timeout: 3s\n",
		prepare: buildStaticBinary},
}

// dir is the app's directory relative to the repository root.
func (e *example) dir() string {
	if e.Dir != "" {
		return e.Dir
	}
	return "examples/" + e.Name
}

// firstOp names variant v's first builder op in this example.
func (e *example) firstOp(v variant) string {
	if v.like != "" {
		return e.FirstOp[v.like]
	}
	return e.FirstOp[v.Name]
}

func pickExamples(names []string) ([]*example, error) {
	if len(names) == 0 {
		return examples, nil
	}
	var out []*example
	for _, n := range names {
		found := false
		for _, e := range examples {
			if e.Name == n {
				out, found = append(out, e), true
			}
		}
		if !found {
			var all []string
			for _, e := range examples {
				all = append(all, e.Name)
			}
			return nil, fmt.Errorf("no benchmarked example %q (have %s)", n, strings.Join(all, ", "))
		}
	}
	return out, nil
}

// changedLine is the source line with a marker inside its string literal, so the served text changes.
func (e *example) changedLine(tag string) (string, error) {
	for _, q := range []string{`"`, "`"} {
		if i := strings.LastIndex(e.SourceLine, q); i > 0 {
			return e.SourceLine[:i] + " (" + tag + ")" + e.SourceLine[i:], nil
		}
	}
	return "", fmt.Errorf("%s: the source line %s has no string to change", e.dir(), e.SourceLine)
}
