package lang

import (
	"os"
	"path/filepath"
	"strings"
)

// Detection is what `hardened init` found of a language in a directory: the spec to write, with
// a comment above a field where the reason is not obvious.
type Detection struct {
	// Marker is the file the language was found by.
	Marker string
	// Context is the build context relative to the directory when it is another (a workspace's
	// root, where the lock file is); the artifacts are then relative to it.
	Context    string
	Artifacts  []string
	Version    string
	Entrypoint []string
	Script     string
	// CGO says the project needs cgo (a Go package with cgo files or an import that needs it).
	CGO bool
	// Comments are written above fields, by field name.
	Comments map[string]string
	Warnings []string
	// FallbackVersion is written when the build cannot find a version in the project's files,
	// with FallbackComment above it; when it can, VersionFrom names where, for a comment.
	FallbackVersion string
	FallbackComment string
	VersionFrom     string
}

// IsFile says whether p is a regular file.
func IsFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ProcfileWeb is the command of a Procfile's web process (Heroku, Dokku, honcho), the last web: line;
// "" without one.
func ProcfileWeb(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "Procfile"))
	if err != nil {
		return ""
	}
	var cmd string
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "web:"); ok {
			cmd = strings.TrimSpace(v)
		}
	}
	return cmd
}
