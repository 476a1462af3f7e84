//go:build tools

// Package tools pins the BuildKit daemon and client that the integration stack runs.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
