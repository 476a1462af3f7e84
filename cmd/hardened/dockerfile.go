package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// runDockerfile prints the multi-stage Dockerfile that builds what the frontend builds from
// the spec, reading the context files its language needs from the build context (specContext).
func runDockerfile(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hardened dockerfile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "hardened.yaml", "the spec")
	lock := fs.String("lock", "", "pin every FROM by this lock file (hardened.lock)")
	platform := fs.String("platform", "linux/amd64", "the lock entries to use")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hardened dockerfile [-f hardened.yaml] [--lock hardened.lock] [--platform linux/amd64] [CONTEXT]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	p, err := platforms.Parse(*platform)
	if err != nil {
		fmt.Fprintf(stderr, "hardened dockerfile: --platform: %v\n", err)
		return 2
	}
	s, err := loadSpec(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctxDir := specContext(s, *file, fs.Args(), stderr)
	if s, err = asInContext(s, *file, ctxDir); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	opts := dockerfile.Options{Platform: p, Source: s.File()}
	if opts.Files, err = dockerfile.ReadContextFiles(s, ctxDir); err != nil {
		fmt.Fprintf(stderr, "hardened dockerfile: %v\n", err)
		return 1
	}
	if *lock != "" {
		data, err := os.ReadFile(*lock)
		if err != nil {
			fmt.Fprintf(stderr, "hardened dockerfile: %v\n", err)
			return 1
		}
		if opts.Lock, err = lockfile.Parse(*lock, data); err != nil {
			fmt.Fprintf(stderr, "hardened dockerfile: %v\n", err)
			return 1
		}
	}
	out, err := dockerfile.Generate(s, opts)
	if err != nil {
		fmt.Fprintf(stderr, "hardened dockerfile: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "hardened dockerfile: %v\n", err)
		return 1
	}
	return 0
}

// specContext is the build context the Dockerfile is for: CONTEXT when given; else the root of
// the workspace whose package directory holds the spec (as hardened init writes it there), said
// on stderr; else the spec's directory.
func specContext(s *spec.Spec, file string, args []string, stderr io.Writer) string {
	if len(args) == 1 {
		return args[0]
	}
	dir := filepath.Dir(file)
	if l, ok := registry.Lookup(s.Language); ok {
		if det, err := l.Detect(dir); err == nil && det != nil && det.Context != "" {
			root := filepath.Join(dir, det.Context)
			fmt.Fprintf(stderr, "hardened dockerfile: %s is a package of the workspace at %s, the build context: docker buildx build -f Dockerfile %s\n", dir, root, root)
			return root
		}
	}
	return dir
}

// asInContext is the spec named by its path in the build context, as the frontend names it, so the
// Dockerfile's source copy leaves it out and its header names it; unchanged when it is outside.
func asInContext(s *spec.Spec, file, ctxDir string) (*spec.Spec, error) {
	rel, err := filepath.Rel(ctxDir, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.ToSlash(rel) == filepath.ToSlash(file) {
		return s, nil
	}
	data, err := readSpec(file)
	if err != nil {
		return nil, fmt.Errorf("hardened: %w", err)
	}
	return spec.Load(filepath.ToSlash(rel), data, registry.SpecOptions()...)
}

// loadSpec reads and loads a spec as a build would, with this release's languages.
func loadSpec(name string) (*spec.Spec, error) {
	data, err := readSpec(name)
	if err != nil {
		return nil, fmt.Errorf("hardened: %w", err)
	}
	return spec.Load(name, data, registry.SpecOptions()...)
}
