// Command release runs the release recipe (package integration/release): the tag workflow runs it against
// ghcr.io, `make release-check` against the local stack. Signing and publishing follow in the workflow.
//
//	release --repo ghcr.io/hardenedbuild/hardened --tag v1.2.3 --dist dist   (CI, with docker buildx)
//	release --stack [--state DIR] --dist dist                                  (release-check)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hardenedbuild/hardened/integration/release"
	"github.com/hardenedbuild/hardened/integration/stack"
)

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "release: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	repo := flag.String("repo", "", "image repository to push to (default with --stack: a fresh one in the stack's registry)")
	tag := flag.String("tag", "", "the git tag being released, vX.Y.Z (checked against VERSION)")
	dist := flag.String("dist", "dist", "directory for the CLI binaries, SHA256SUMS and image-digest")
	useStack := flag.Bool("stack", false, "release-check: build on the local stack (bin/stack up) instead of docker buildx's builder")
	state := flag.String("state", "", "the stack's state directory (default <repo>/.stack)")
	flag.Parse()
	root, err := stack.FindRepoRoot()
	if err != nil {
		return err
	}
	o := release.Options{Root: root, Repo: *repo, GitTag: *tag, Log: os.Stderr, Buildx: dockerBuildx}
	if o.Dist, err = filepath.Abs(*dist); err != nil {
		return err
	}
	if *useStack {
		s, err := stack.Load(*state)
		if err != nil {
			return err
		}
		if err := s.PushSBOMScanner(ctx, root); err != nil {
			return err
		}
		o.Buildx, o.Insecure = s.Buildx, true
		if o.Repo == "" {
			// A new repository each run: X.Y.Z is immutable, and this must not replace the stack's hardened:1.
			o.Repo = fmt.Sprintf("%s/hardenedbuild/release-check-%d", s.Registry, time.Now().Unix())
		}
	}
	if o.Repo == "" {
		return fmt.Errorf("name the repository with --repo, or use --stack")
	}
	start := time.Now()
	r, err := release.Run(ctx, o)
	if err != nil {
		return err
	}
	for _, p := range r.Images {
		fmt.Fprintf(os.Stderr, "  %-14s %s  %.1f MB compressed\n", p.Platform, p.Digest, float64(p.Compressed)/1e6)
	}
	fmt.Fprintf(os.Stderr, "release %s: %s@%s, CLI in %s (%s)\n", r.Version, o.Repo, r.Digest, o.Dist, time.Since(start).Round(time.Second))
	fmt.Println(o.Repo + "@" + r.Digest)
	return nil
}

func dockerBuildx(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "docker", append([]string{"buildx"}, args...)...)
}
