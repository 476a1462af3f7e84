package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FrontendRepository is where BuildFrontend pushes the frontend image, relative to the registry; through the
// ghcr.io mirror, "# syntax=ghcr.io/hardenedbuild/hardened:1" resolves to it.
const FrontendRepository = "hardenedbuild/hardened"

// FrontendTag is the tag BuildFrontend pushes.
const FrontendTag = "1"

// FrontendRef is the local reference of the frontend image.
func (s *Stack) FrontendRef() string {
	return s.Registry + "/" + FrontendRepository + ":" + FrontendTag
}

// BuildFrontend builds the frontend image from the repository's root Dockerfile with the builtin Dockerfile
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
	done := s.log.step("building the frontend image %s", s.FrontendRef())
	cmd := s.Buildctl(ctx, "build",
		"--frontend", "dockerfile.v0",
		"--local", "context="+repoRoot,
		"--local", "dockerfile="+repoRoot,
		"--output", "type=image,name="+s.FrontendRef()+",push=true,registry.insecure=true",
		"--metadata-file", meta.Name(),
		"--progress", "plain")
	var out bytes.Buffer
	w := io.Writer(&out)
	if s.log != nil {
		w = io.MultiWriter(&out, s.log.w)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the frontend image from %s/Dockerfile: %w\n%s", repoRoot, err, tail(out.Bytes(), 30))
	}
	data, err := os.ReadFile(meta.Name())
	if err != nil {
		return "", err
	}
	var md struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(data, &md); err != nil || md.Digest == "" {
		return "", fmt.Errorf("no image digest in buildctl's metadata: %s", data)
	}
	done()
	return md.Digest, nil
}
