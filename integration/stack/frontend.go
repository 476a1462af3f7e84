package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FrontendRepository is where BuildFrontend pushes the frontend image, relative to the registry; through the
// ghcr.io mirror, "# syntax=ghcr.io/hardenedbuild/hardened:1" resolves to it.
const FrontendRepository = "hardenedbuild/hardened"

// FrontendDockerfile is the frontend image's Dockerfile at the repository root; not "Dockerfile", which would
// collide with the dockerfile/ package in the module zip (case-insensitively) and break `go install`.
const FrontendDockerfile = "frontend.Dockerfile"

// FrontendTag is the tag BuildFrontend pushes.
const FrontendTag = "1"

// FrontendCompression is how the frontend image's layer is compressed: BuildKit pulls and unpacks the image
// on every cold build (each fresh CI runner): 76-96 ms in the bench's traces with zstd, 113-128 ms with
// gzip, for about the same 7.6 MB; every BuildKit since v0.10 (Docker Engine 23) reads it. A release push uses the same options.
const FrontendCompression = "compression=zstd,force-compression=true,oci-mediatypes=true"

// FrontendRef is the local reference of the frontend image.
func (s *Stack) FrontendRef() string {
	return s.Registry + "/" + FrontendRepository + ":" + FrontendTag
}

// BuildFrontend builds the frontend image from the repository's frontend.Dockerfile with the builtin Dockerfile
// frontend, pushes it to the local registry as hardenedbuild/hardened:1 and returns its digest.
func (s *Stack) BuildFrontend(ctx context.Context, repoRoot string) (string, error) {
	if repoRoot == "" {
		repoRoot = s.RepoRoot
	}
	repoRoot, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", err
	}
	meta, err := os.CreateTemp(s.StateDir, "frontend-metadata-*.json")
	if err != nil {
		return "", err
	}
	meta.Close()
	defer os.Remove(meta.Name())
	dockerfile := FrontendDockerfile
	if _, err := os.Stat(filepath.Join(repoRoot, dockerfile)); err != nil {
		dockerfile = "Dockerfile" // a checkout from before the rename (the bench builds older commits)
	}
	done := s.log.step("building the frontend image %s", s.FrontendRef())
	args := []string{"build",
		"--frontend", "dockerfile.v0",
		"--local", "context=" + repoRoot,
		"--local", "dockerfile=" + repoRoot,
		"--opt", "filename=" + dockerfile,
		"--output", "type=image,name=" + s.FrontendRef() + ",push=true,registry.insecure=true," + FrontendCompression,
		"--metadata-file", meta.Name(),
		"--progress", "plain"}
	args = append(args, s.frontendCacheArgs()...)
	cmd := s.Buildctl(ctx, args...)
	var out bytes.Buffer
	w := io.Writer(&out)
	if s.log != nil {
		w = io.MultiWriter(&out, s.log.w)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the frontend image from %s/%s: %w\n%s", repoRoot, dockerfile, err, tail(out.Bytes(), 30))
	}
	d, err := MetadataDigest(meta.Name())
	if err != nil {
		return "", err
	}
	done()
	return d, nil
}

// MetadataDigest is the image digest in a --metadata-file that buildctl or buildx wrote.
func MetadataDigest(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var md struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(data, &md); err != nil || md.Digest == "" {
		return "", fmt.Errorf("no image digest in buildctl's metadata: %s", data)
	}
	return md.Digest, nil
}

// frontendCacheArgs keep the frontend build's cache on disk beside the stand-ins, keyed as BuildKit keys every
// step (by its inputs' content): a fresh stack, as every CI run on a clean clone has, then builds the frontend
// image of unchanged sources from that cache instead of compiling it again (80 s of a 2-CPU machine's time).
// Any changed input rebuilds from that step on, with the real Dockerfile, as before.
func (s *Stack) frontendCacheArgs() []string {
	if s.CacheDir == "" {
		return nil
	}
	dir := filepath.Join(s.CacheDir, "frontend-build-cache")
	// Each changed source adds its layers (mode=min: the image's, about 8 MB) and nothing removes old ones:
	// start over past 1 GB, about 125 changed builds.
	if dirSize(dir) > frontendCacheMax {
		_ = os.RemoveAll(dir)
	}
	args := []string{"--export-cache", "type=local,mode=min,dest=" + dir}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		args = append(args, "--import-cache", "type=local,src="+dir)
	}
	return args
}

const frontendCacheMax = 1 << 30

// dirSize is the bytes of the regular files under dir (0 when it does not exist).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
