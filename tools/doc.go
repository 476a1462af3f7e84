// Package tools holds the modules that pin the build stack's binaries (tools/buildkit,
// tools/buildx); this package only checks that those pins agree with the main module.
package tools
