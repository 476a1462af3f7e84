package stack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// modulePath identifies the repository root (the directory whose go.mod declares it).
const modulePath = "github.com/hardenedbuild/hardened"

// Options configures Up and Stop. Zero values pick the defaults.
type Options struct {
	// RepoRoot is the repository checkout (bin/, tools/, the frontend's Dockerfile); default: the directory
	// above the working directory whose go.mod declares the module.
	RepoRoot string
	// StateDir holds the running stack's sockets, logs, buildkitd root and registry blobs; default RepoRoot/.stack.
	StateDir string
	// CacheDir holds the stand-in images and downloaded packages; default $HARDENED_CACHE, else ~/.cache/hardened.
	CacheDir string
	// Exe is a binary of integration/cmd/stack, started as "Exe serve"; default: built into RepoRoot/bin/stack.
	Exe string
	// Log receives progress lines; default: discarded.
	Log io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.RepoRoot == "" {
		root, err := FindRepoRoot()
		if err != nil {
			return o, err
		}
		o.RepoRoot = root
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.RepoRoot, ".stack")
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	for _, p := range []*string{&o.RepoRoot, &o.StateDir, &o.CacheDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return o, err
		}
		*p = abs
	}
	return o, nil
}

// DefaultCacheDir is $HARDENED_CACHE, else the user's cache directory + /hardened.
func DefaultCacheDir() string {
	if d := os.Getenv("HARDENED_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "hardened")
	}
	return filepath.Join(os.TempDir(), "hardened-cache")
}

// FindRepoRoot walks up from the working directory, then from the running binary (bin/stack lives in the
// repository), to the go.mod of module github.com/hardenedbuild/hardened.
func FindRepoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.HasPrefix(data, []byte("module "+modulePath+"\n")) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("no go.mod of module %s above %s", modulePath, strings.Join(starts, " or "))
}
