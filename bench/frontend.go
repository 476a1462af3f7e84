package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/hardenedbuild/hardened/integration/stack"
)

type frontendBuild struct {
	source string // what the image was built from
	digest string
}

// buildFrontend pushes the frontend image to the bench stack's registry, built from src (default: the working
// tree). A working tree that does not build (someone mid-change) falls back to its HEAD commit, recorded as such.
func buildFrontend(ctx context.Context, st *stack.Stack, root, src string) (frontendBuild, error) {
	if src == "" {
		src = root
	}
	logf("building the frontend image from %s", src)
	d, err := st.BuildFrontend(ctx, src)
	if err == nil {
		return frontendBuild{source: "working tree " + describe(src), digest: d}, nil
	}
	if src != root {
		return frontendBuild{}, err
	}
	logf("the working tree does not build the frontend (%v); using HEAD", firstLine(err.Error()))
	dir, err := os.MkdirTemp("", "hardened-bench-head")
	if err != nil {
		return frontendBuild{}, err
	}
	defer os.RemoveAll(dir)
	archive := exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive HEAD | tar -x -C "$2"`, "sh", root, dir)
	if out, err := archive.CombinedOutput(); err != nil {
		return frontendBuild{}, fmt.Errorf("git archive HEAD: %w: %s", err, out)
	}
	d, err = st.BuildFrontend(ctx, dir)
	if err != nil {
		return frontendBuild{}, err
	}
	return frontendBuild{source: "HEAD " + commit(root) + " (the working tree did not build)", digest: d}, nil
}

func describe(dir string) string {
	c := commit(dir)
	out, _ := exec.Command("git", "-C", dir, "status", "--porcelain").Output()
	if len(out) > 0 {
		c += " + uncommitted changes"
	}
	return c
}

func commit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit"
	}
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
