package main

import "github.com/hardenedbuild/hardened"

// The version comes from the repository's VERSION file, embedded, so the Dockerfile and hardened.yaml builds
// (which pass no -X flag) report it and still give the same bytes.
func init() { version = hardened.Version }
