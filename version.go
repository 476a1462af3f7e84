// Package hardened holds the release version of this source tree. VERSION is the one place it is written: the
// frontend image (either build path), the CLI and `go install` all embed the same file, and the release
// checks the git tag against it.
package hardened

import (
	_ "embed"
	"strings"
)

//go:embed VERSION
var versionFile string

// Version is this tree's release, e.g. "1.0.0" (the image tags 1.0.0, 1.0 and 1; the git tag v1.0.0).
var Version = strings.TrimSpace(versionFile)
