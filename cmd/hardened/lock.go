package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hardenedbuild/hardened/lifecycle"
	"github.com/hardenedbuild/hardened/lockfile"
)

// runLock writes hardened.lock beside the spec by asking the frontend itself (the lock
// target), so the digests come from the same registries, mirrors and credentials the
// build uses. With --check it only compares and exits 1 when the lock is stale.
func runLock(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "the spec (default DIR/hardened.yaml)")
	check := fs.Bool("check", false, "fail if hardened.lock is missing or differs from a fresh lock, and write nothing")
	platform := fs.String("platform", "", "platforms to lock, comma-separated (default: the builder's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hardened lock [--check] [--platform P[,P]] [-f FILE] [DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := "."
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	if *file == "" {
		*file = filepath.Join(dir, "hardened.yaml")
	}
	out, err := os.MkdirTemp("", "hardened-lock")
	if err != nil {
		fmt.Fprintln(stderr, "hardened lock:", err)
		return 1
	}
	defer os.RemoveAll(out)

	buildArgs := []string{"build", "--target", "lock", "-f", *file, "-o", "type=local,dest=" + out}
	if *platform != "" {
		buildArgs = append(buildArgs, "--platform", *platform)
	}
	cmd := buildx(append(buildArgs, dir)...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "hardened lock: %s failed: %v\n", cmd.String(), err)
		return 1
	}
	fresh, err := os.ReadFile(filepath.Join(out, lockfile.Filename))
	if err != nil {
		fmt.Fprintln(stderr, "hardened lock: the build wrote no lock file:", err)
		return 1
	}
	target := filepath.Join(filepath.Dir(*file), lockfile.Filename)
	if l, err := lockfile.Parse(target, fresh); err == nil {
		warnEndOfLife(l, time.Now(), stderr)
	}
	if *check {
		have, err := os.ReadFile(target)
		if err != nil {
			fmt.Fprintf(stderr, "%s: missing; run `hardened lock` and commit it\n", target)
			return 1
		}
		if !bytes.Equal(have, fresh) {
			fmt.Fprintf(stderr, "%s: stale; run `hardened lock` and commit the change. A fresh lock reads:\n%s", target, fresh)
			return 1
		}
		fmt.Fprintf(stdout, "%s: up to date\n", target)
		return 0
	}
	if err := os.WriteFile(target, fresh, 0o644); err != nil {
		fmt.Fprintln(stderr, "hardened lock:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s\n", target)
	return 0
}

// buildx runs `docker buildx`, or a standalone buildx when there is no docker CLI.
func buildx(args ...string) *exec.Cmd {
	if _, err := exec.LookPath("docker"); err == nil {
		return exec.Command("docker", append([]string{"buildx"}, args...)...)
	}
	for _, name := range []string{"docker-buildx", "buildx"} {
		if p, err := exec.LookPath(name); err == nil {
			return exec.Command(p, args...)
		}
	}
	return exec.Command("docker", append([]string{"buildx"}, args...)...)
}

// warnEndOfLife names each locked image that is a distroless release past, or within 90 days of,
// its end of life: the lock pins it, so the build would keep using it.
func warnEndOfLife(l *lockfile.Lock, now time.Time, w io.Writer) {
	var lines []string
	seen := map[string]bool{}
	for platform, roles := range l.Images {
		for role, pinned := range roles {
			ref, _, _ := strings.Cut(pinned, "@")
			c, ok := lifecycle.DistrolessImage(ref)
			if !ok || c.StatusAt(now) == lifecycle.Supported || seen[ref] {
				continue
			}
			seen[ref] = true
			lines = append(lines, fmt.Sprintf("hardened lock: warning: %s (%s, %s): %s\n", ref, role, platform, c.Describe(now)))
		}
	}
	sort.Strings(lines)
	for _, line := range lines {
		fmt.Fprint(w, line)
	}
}
