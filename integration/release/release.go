// Package release is the release recipe, one list of steps for the tag workflow (.github/workflows/release.yml)
// and for `make release-check` on the local stack, so the two cannot drift: check the version, build the CLI
// binaries with checksums, build and push the frontend image index with SBOM and provenance, then check the
// index (platforms, binaries, size, config, attestations) and audit each platform with `hardened check`.
// Signing and publishing stay in the workflow: they need GitHub's OIDC token.
package release

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// Platforms are the frontend image's: those distroless publishes static-debian13 and cc-debian13 for, which are
// also docker/dockerfile's. BuildKit runs the frontend on the builder's own platform, so each is a builder
// someone can run; every one is cross-compiled, none emulated.
var Platforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x", "linux/ppc64le", "linux/riscv64"}

// CLIPlatforms are the `hardened` binaries attached to a GitHub release.
var CLIPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// MaxCompressed is the budget for one platform's image: its layers and config as the registry stores them.
const MaxCompressed = 10 << 20

// Options say where a release goes and how to reach the builder.
type Options struct {
	Root     string // the repository checkout
	Repo     string // the image repository, e.g. ghcr.io/hardenedbuild/hardened
	GitTag   string // the pushed tag, vX.Y.Z; empty in release-check, where no tag exists yet
	Dist     string // where the CLI binaries, SHA256SUMS and image-digest go
	Insecure bool   // the registry speaks plain HTTP (the local stack)
	// Buildx runs `docker buildx ARGS` against the builder to use.
	Buildx func(ctx context.Context, args ...string) *exec.Cmd
	Log    io.Writer
	// Platforms the index is built for: all of Platforms when empty. The e2e test builds fewer, to fit CI's time.
	Platforms []string
}

// platforms is o.Platforms, or every release platform.
func (o Options) platforms() []string {
	if len(o.Platforms) == 0 {
		return Platforms
	}
	return o.Platforms
}

// Result is what a release made.
type Result struct {
	Version string
	Tags    []string // the image references pushed
	Digest  string   // the index's digest
	CLI     []string // the CLI binaries' paths
	Images  []Platform
}

// Run does every step of a release but signing and publishing, stopping at the first that fails.
func Run(ctx context.Context, o Options) (Result, error) {
	var r Result
	var err error
	step := func(name string, f func() error) {
		if err != nil {
			return
		}
		start := time.Now()
		fmt.Fprintf(o.Log, "release: %s\n", name)
		if err = f(); err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			return
		}
		fmt.Fprintf(o.Log, "release: %s: ok (%s)\n", name, time.Since(start).Round(time.Second))
	}
	step("version", func() error {
		r.Version, err = Version(o.Root, o.GitTag)
		return err
	})
	step("the version's image tag is not taken (tags are immutable)", func() error {
		return TagFree(ctx, o.Repo+":"+r.Version, o.Insecure)
	})
	step("CLI binaries", func() error {
		r.CLI, err = BuildCLI(ctx, o.Root, o.Dist, r.Version)
		return err
	})
	step("go install from a clean module cache", func() error {
		return GoInstall(ctx, o.Root, r.Version)
	})
	step("frontend image index", func() error {
		r.Tags = ImageRefs(o.Repo, r.Version)
		r.Digest, err = BuildIndex(ctx, o, r.Tags)
		if err == nil {
			err = os.WriteFile(filepath.Join(o.Dist, "image-digest"), []byte(r.Digest+"\n"), 0o644)
		}
		return err
	})
	step("index contents", func() error {
		r.Images, err = CheckIndex(ctx, o.Repo+"@"+r.Digest, o.Insecure, o.platforms())
		return err
	})
	step("hardened check on every platform", func() error {
		return CheckImages(ctx, hostCLI(o.Dist, r.Version), o.Repo+"@"+r.Digest, o.Insecure, o.platforms(), o.Log)
	})
	return r, err
}

var semver = regexp.MustCompile(`^([1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// Version reads VERSION, the one place the version is written, and holds the git tag and CHANGELOG.md to it.
func Version(root, gitTag string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(data))
	if !semver.MatchString(v) {
		return "", fmt.Errorf("VERSION %q is not MAJOR.MINOR.PATCH", v)
	}
	if gitTag != "" && gitTag != "v"+v {
		return "", fmt.Errorf("the git tag %s is not v%s from VERSION: bump VERSION and CHANGELOG.md first", gitTag, v)
	}
	log, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		return "", err
	}
	if !regexp.MustCompile(`(?m)^## \[?` + regexp.QuoteMeta(v) + `\]?( |$)`).Match(log) {
		return "", fmt.Errorf("CHANGELOG.md has no \"## %s\" section", v)
	}
	return v, nil
}

// ImageRefs are the tags one release pushes, as docker/dockerfile's: the immutable X.Y.Z and the moving X.Y and X.
func ImageRefs(repo, version string) []string {
	m := semver.FindStringSubmatch(version)
	return []string{repo + ":" + version, repo + ":" + m[1] + "." + m[2], repo + ":" + m[1]}
}

func hostCLI(dist, version string) string {
	return filepath.Join(dist, cliName(version, runtime.GOOS, runtime.GOARCH))
}

func cliName(version, goos, goarch string) string {
	return fmt.Sprintf("hardened_%s_%s_%s", version, goos, goarch)
}
