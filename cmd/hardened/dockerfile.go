package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/platforms"

	"github.com/hardenedbuild/hardened/dockerfile"
	"github.com/hardenedbuild/hardened/lang/registry"
	"github.com/hardenedbuild/hardened/lockfile"
	"github.com/hardenedbuild/hardened/spec"
)

// runDockerfile prints the multi-stage Dockerfile that builds what the frontend builds from
// the spec, reading the context files its language needs from the spec's directory.
func runDockerfile(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hardened dockerfile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "hardened.yaml", "the spec")
	lock := fs.String("lock", "", "pin every FROM by this lock file (hardened.lock)")
	platform := fs.String("platform", "linux/amd64", "the lock entries to use")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hardened dockerfile [-f hardened.yaml] [--lock hardened.lock] [--platform linux/amd64]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
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
	opts := dockerfile.Options{Platform: p, Source: filepath.Base(*file)}
	if opts.Files, err = dockerfile.ReadContextFiles(s, filepath.Dir(*file)); err != nil {
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

// loadSpec reads and loads a spec as a build would, with this release's languages.
func loadSpec(name string) (*spec.Spec, error) {
	data, err := readSpec(name)
	if err != nil {
		return nil, fmt.Errorf("hardened: %w", err)
	}
	return spec.Load(name, data, registry.SpecOptions()...)
}
