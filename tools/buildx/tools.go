//go:build tools

// Package tools pins the docker-buildx plugin that the integration tests drive.
package tools

import (
	_ "github.com/docker/buildx/cmd/buildx"
)
