package stack

import (
	"context"
	"os"
	"os/exec"
)

// Env is the environment a shell or a test uses to reach the stack: BUILDKIT_HOST, DOCKER_CONFIG, BUILDX_BUILDER
// and HARDENED_REGISTRY.
func (s *Stack) Env() []string {
	return []string{
		"BUILDKIT_HOST=" + s.BuildkitAddr,
		"DOCKER_CONFIG=" + s.DockerConfig,
		"BUILDX_BUILDER=" + s.Builder,
		"HARDENED_REGISTRY=" + s.Registry,
	}
}

// Buildctl is buildctl talking to the stack's buildkitd.
func (s *Stack) Buildctl(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.BuildctlBin, args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	return cmd
}

// Buildx is "docker buildx ARGS" when the docker CLI is on PATH (the plugin is in the stack's DOCKER_CONFIG),
// else the standalone docker-buildx binary; either way it uses the "hardened" builder.
func (s *Stack) Buildx(ctx context.Context, args ...string) *exec.Cmd {
	return s.buildxCommand(ctx, true, args...)
}

func (s *Stack) buildxCommand(ctx context.Context, withBuilder bool, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if docker, err := exec.LookPath("docker"); err == nil {
		cmd = exec.CommandContext(ctx, docker, append([]string{"buildx"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, s.BuildxBin, args...)
	}
	env := []string{"DOCKER_CONFIG=" + s.DockerConfig}
	if withBuilder {
		env = append(env, "BUILDX_BUILDER="+s.Builder)
	}
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
