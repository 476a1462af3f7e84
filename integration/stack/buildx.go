package stack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ensureBuilder installs the buildx plugin into the stack's DOCKER_CONFIG (so "docker buildx" finds it without
// touching the user's ~/.docker) and creates the "hardened" builder with the remote driver on the stack's
// buildkitd, as the default builder of that config.
func (s *Stack) ensureBuilder(ctx context.Context) error {
	plugins := filepath.Join(s.DockerConfig, "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return err
	}
	link := filepath.Join(plugins, "docker-buildx")
	if target, err := os.Readlink(link); err != nil || target != s.BuildxBin {
		os.Remove(link)
		if err := os.Symlink(s.BuildxBin, link); err != nil {
			return fmt.Errorf("installing the buildx plugin: %w", err)
		}
	}
	out, err := s.buildxCommand(ctx, false, "inspect", s.Builder).CombinedOutput()
	if err == nil && bytes.Contains(out, []byte(s.BuildkitAddr)) {
		return nil
	}
	if err == nil {
		if out, err := s.buildxCommand(ctx, false, "rm", s.Builder).CombinedOutput(); err != nil {
			return fmt.Errorf("docker buildx rm %s: %w: %s", s.Builder, err, bytes.TrimSpace(out))
		}
	}
	out, err = s.buildxCommand(ctx, false, "create", "--name", s.Builder, "--driver", "remote", "--use", s.BuildkitAddr).CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker buildx create --name %s --driver remote %s: %w: %s", s.Builder, s.BuildkitAddr, err, strings.TrimSpace(string(out)))
	}
	s.log.Printf("buildx builder %q uses %s (DOCKER_CONFIG=%s)", s.Builder, s.BuildkitAddr, s.DockerConfig)
	return nil
}
